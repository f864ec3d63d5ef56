-- attributiond schema: reward rules in time, and the commission of each transaction.
--
-- Every `rewards set` and `rewards end` is an admin event in the inbox; this
-- table keeps every rule ever set (history), derived from those events. For a
-- transaction at t, a scope's rule is its row with the greatest
-- (effective_from, recorded_at, event_id) among those with effective_from <= t.
CREATE TABLE reward_rules_in_time (
    event_id       TEXT    NOT NULL PRIMARY KEY,
    partner_key    TEXT,                                 -- NULL: all partners
    product_key    TEXT,                                 -- NULL: all products
    percent_bps    INTEGER CHECK (percent_bps BETWEEN 0 AND 10000),
    flat_amount    INTEGER CHECK (flat_amount >= 0),
    currency       TEXT,
    ended          INTEGER NOT NULL DEFAULT 0 CHECK (ended IN (0, 1)),
    effective_from TEXT    NOT NULL,
    max_months     INTEGER CHECK (max_months > 0),
    max_payments   INTEGER CHECK (max_payments > 0),
    recorded_at    TEXT    NOT NULL,
    CHECK ((ended = 1 AND percent_bps IS NULL AND flat_amount IS NULL AND currency IS NULL)
        OR (ended = 0 AND percent_bps IS NOT NULL AND flat_amount IS NULL AND currency IS NULL)
        OR (ended = 0 AND percent_bps IS NULL AND flat_amount IS NOT NULL AND currency IS NOT NULL))
) STRICT;

-- The rules set before rules had a time become admin events from the
-- beginning of time, so an upgrade changes no report and a rebuild keeps them.
INSERT INTO inbox_events (event_id, type, livemode, api_version, stripe_created_at, received_at, payload, status,
                          attempts, applied_at)
SELECT 'reward_0_' || printf('%019d', id) || '_migrated', 'attributiond.reward_rule', 1, NULL,
       '1970-01-01T00:00:00Z', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'),
       json_object('id', 'reward_0_' || printf('%019d', id) || '_migrated', 'object', 'event',
                   'type', 'attributiond.reward_rule', 'created', 0, 'livemode', json('true'),
                   'data', json_object('object', json_object(
                       'partner_key', partner_key, 'product_key', product_key, 'percent_bps', percent_bps,
                       'flat_amount', flat_amount, 'currency', currency, 'ended', json('false'),
                       'effective_from', 0))),
       'applied', 1, strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
FROM reward_rules;

INSERT INTO reward_rules_in_time (event_id, partner_key, product_key, percent_bps, flat_amount, currency, ended,
                                  effective_from, recorded_at)
SELECT 'reward_0_' || printf('%019d', id) || '_migrated', partner_key, product_key, percent_bps, flat_amount,
       currency, 0, '1970-01-01T00:00:00Z', '1970-01-01T00:00:00Z'
FROM reward_rules;

DROP TABLE reward_rules;
ALTER TABLE reward_rules_in_time RENAME TO reward_rules;
CREATE INDEX reward_rules_scope ON reward_rules (ifnull(partner_key, ''), ifnull(product_key, ''), effective_from);

-- `rewards hold DAYS`: the latest by (created, event id) holds; no row: 30 days.
CREATE TABLE reward_hold (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    days      INTEGER NOT NULL CHECK (days >= 0),
    v_created INTEGER NOT NULL,
    v_event   TEXT    NOT NULL
) STRICT;

-- Self-referrals: a customer whose email equals its partner's is held until approved.
ALTER TABLE customers ADD COLUMN flag TEXT CHECK (flag IN ('self_referral'));
ALTER TABLE customers ADD COLUMN approved_at TEXT;

-- `customers approve K`: the earliest approval of each customer key (or Stripe customer id).
CREATE TABLE fact_approvals (
    customer_key TEXT    NOT NULL PRIMARY KEY,
    at           INTEGER NOT NULL,
    v_event      TEXT    NOT NULL
) STRICT;

-- The commission of each attributed transaction with a rule, as the projector
-- computes it (the rule in force when it occurred, its limits, the current net).
-- `held` is 1 for an unapproved self-referral. The public view `commissions`
-- (migration 0013) adds what was paid and the status as of now.
CREATE TABLE ledger_commissions (
    transaction_id TEXT    NOT NULL PRIMARY KEY,
    partner_key    TEXT    NOT NULL,
    currency       TEXT    NOT NULL,
    livemode       INTEGER NOT NULL CHECK (livemode IN (0, 1)),
    occurred_at    TEXT    NOT NULL,
    net_amount     INTEGER NOT NULL,
    commission     INTEGER NOT NULL,
    held           INTEGER NOT NULL CHECK (held IN (0, 1)),
    rule_event     TEXT    NOT NULL
) STRICT;
CREATE INDEX ledger_commissions_partner ON ledger_commissions (partner_key, livemode, currency);

-- What changed in this event and must have its commissions derived again
-- before the event's transaction commits: t transaction, k customer key,
-- c Stripe customer, p partner. Always empty between events; filled by triggers
-- so every writer of these tables is covered.
CREATE TABLE ledger_dirty (
    kind TEXT NOT NULL CHECK (kind IN ('t', 'k', 'c', 'p')),
    id   TEXT NOT NULL,
    PRIMARY KEY (kind, id)
) STRICT, WITHOUT ROWID;

-- While a rebuild swaps the shadow's tables in, it holds a row here: the copied rows
-- come with their commissions, and marking them all would only slow the swap.
CREATE TABLE ledger_pause (id INTEGER PRIMARY KEY CHECK (id = 1)) STRICT;

-- The triggers test for an existing row rather than use INSERT OR IGNORE: inside a trigger,
-- the outer statement's conflict policy (an upsert's) overrides the trigger's own.
CREATE TRIGGER ledger_transaction_inserted AFTER INSERT ON transactions
WHEN NOT EXISTS (SELECT 1 FROM ledger_pause) BEGIN
    INSERT INTO ledger_dirty SELECT 't', NEW.transaction_id
        WHERE NOT EXISTS (SELECT 1 FROM ledger_dirty WHERE kind = 't' AND id = NEW.transaction_id);
END;
CREATE TRIGGER ledger_transaction_updated AFTER UPDATE ON transactions
WHEN NOT EXISTS (SELECT 1 FROM ledger_pause) BEGIN
    INSERT INTO ledger_dirty SELECT 't', NEW.transaction_id
        WHERE NOT EXISTS (SELECT 1 FROM ledger_dirty WHERE kind = 't' AND id = NEW.transaction_id);
END;
CREATE TRIGGER ledger_transaction_deleted AFTER DELETE ON transactions
WHEN NOT EXISTS (SELECT 1 FROM ledger_pause) BEGIN
    INSERT INTO ledger_dirty SELECT 't', OLD.transaction_id
        WHERE NOT EXISTS (SELECT 1 FROM ledger_dirty WHERE kind = 't' AND id = OLD.transaction_id);
END;
CREATE TRIGGER ledger_customer_inserted AFTER INSERT ON customers
WHEN NOT EXISTS (SELECT 1 FROM ledger_pause) BEGIN
    INSERT INTO ledger_dirty SELECT 'k', NEW.customer_key WHERE NEW.customer_key IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM ledger_dirty WHERE kind = 'k' AND id = NEW.customer_key);
    INSERT INTO ledger_dirty SELECT 'c', NEW.stripe_customer_id WHERE NEW.stripe_customer_id IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM ledger_dirty WHERE kind = 'c' AND id = NEW.stripe_customer_id);
END;
CREATE TRIGGER ledger_customer_updated AFTER UPDATE OF customer_key, stripe_customer_id, partner_key, email ON customers
WHEN NOT EXISTS (SELECT 1 FROM ledger_pause) AND (OLD.customer_key IS NOT NEW.customer_key OR OLD.stripe_customer_id IS NOT NEW.stripe_customer_id
  OR OLD.partner_key IS NOT NEW.partner_key OR OLD.email IS NOT NEW.email) BEGIN
    INSERT INTO ledger_dirty SELECT 'k', OLD.customer_key WHERE OLD.customer_key IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM ledger_dirty WHERE kind = 'k' AND id = OLD.customer_key);
    INSERT INTO ledger_dirty SELECT 'c', OLD.stripe_customer_id WHERE OLD.stripe_customer_id IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM ledger_dirty WHERE kind = 'c' AND id = OLD.stripe_customer_id);
    INSERT INTO ledger_dirty SELECT 'k', NEW.customer_key WHERE NEW.customer_key IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM ledger_dirty WHERE kind = 'k' AND id = NEW.customer_key);
    INSERT INTO ledger_dirty SELECT 'c', NEW.stripe_customer_id WHERE NEW.stripe_customer_id IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM ledger_dirty WHERE kind = 'c' AND id = NEW.stripe_customer_id);
END;
CREATE TRIGGER ledger_customer_deleted AFTER DELETE ON customers
WHEN NOT EXISTS (SELECT 1 FROM ledger_pause) BEGIN
    INSERT INTO ledger_dirty SELECT 'k', OLD.customer_key WHERE OLD.customer_key IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM ledger_dirty WHERE kind = 'k' AND id = OLD.customer_key);
    INSERT INTO ledger_dirty SELECT 'c', OLD.stripe_customer_id WHERE OLD.stripe_customer_id IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM ledger_dirty WHERE kind = 'c' AND id = OLD.stripe_customer_id);
END;
CREATE TRIGGER ledger_partner_inserted AFTER INSERT ON partners WHEN NOT EXISTS (SELECT 1 FROM ledger_pause) AND NEW.email IS NOT NULL BEGIN
    INSERT INTO ledger_dirty SELECT 'p', NEW.partner_key
        WHERE NOT EXISTS (SELECT 1 FROM ledger_dirty WHERE kind = 'p' AND id = NEW.partner_key);
END;
CREATE TRIGGER ledger_partner_updated AFTER UPDATE OF email ON partners WHEN NOT EXISTS (SELECT 1 FROM ledger_pause) AND OLD.email IS NOT NEW.email BEGIN
    INSERT INTO ledger_dirty SELECT 'p', NEW.partner_key
        WHERE NOT EXISTS (SELECT 1 FROM ledger_dirty WHERE kind = 'p' AND id = NEW.partner_key);
END;

-- The limits count a customer's paid charges (or invoices) in order.
CREATE INDEX fact_charges_customer_paid ON fact_charges (stripe_customer_id, created_at, charge_id)
    WHERE stripe_customer_id IS NOT NULL;
CREATE INDEX fact_charges_key_paid ON fact_charges (customer_key, created_at, charge_id)
    WHERE customer_key IS NOT NULL;
CREATE INDEX fact_invoices_customer_paid ON fact_invoices (stripe_customer_id, paid_at, invoice_id)
    WHERE stripe_customer_id IS NOT NULL;
CREATE INDEX fact_invoices_key_paid ON fact_invoices (customer_key, paid_at, invoice_id)
    WHERE customer_key IS NOT NULL;

-- Existing transactions get their commissions when the database is next opened.
INSERT OR IGNORE INTO ledger_dirty SELECT 't', transaction_id FROM transactions;
INSERT OR IGNORE INTO ledger_dirty SELECT 'k', customer_key FROM customers WHERE customer_key IS NOT NULL;
INSERT OR IGNORE INTO ledger_dirty SELECT 'c', stripe_customer_id FROM customers WHERE stripe_customer_id IS NOT NULL;
