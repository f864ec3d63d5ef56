-- attributiond schema: disputes lower a transaction's net amount.
--
-- A dispute takes its amount back from the business while it is open
-- (needs_response, under_review) and for good when it is lost; a won or
-- prevented dispute gives it back, and an inquiry (warning_*) never took it.

-- Newest snapshot of each dispute, by event version.
CREATE TABLE fact_disputes (
    dispute_id        TEXT    NOT NULL PRIMARY KEY,
    v_created         INTEGER NOT NULL,
    v_rank            INTEGER NOT NULL,
    v_event           TEXT    NOT NULL,
    charge_id         TEXT,
    payment_intent_id TEXT,
    amount            INTEGER NOT NULL CHECK (amount >= 0),
    status            TEXT    NOT NULL,
    livemode          INTEGER NOT NULL CHECK (livemode IN (0, 1))
) STRICT;
CREATE INDEX fact_disputes_charge ON fact_disputes (charge_id) WHERE charge_id IS NOT NULL;
CREATE INDEX fact_disputes_payment_intent ON fact_disputes (payment_intent_id) WHERE payment_intent_id IS NOT NULL;

-- The sum of the amounts of the transaction's disputes that count, as Stripe sent them.
ALTER TABLE transactions ADD COLUMN amount_disputed INTEGER NOT NULL DEFAULT 0 CHECK (amount_disputed >= 0);

-- The views gain amount_disputed, and net_amount subtracts it (never below 0).
DROP VIEW partner_summary;
DROP VIEW attributed_transactions;

CREATE VIEW attributed_transactions AS
SELECT
    t.transaction_id,
    t.source,
    t.stripe_customer_id,
    t.customer_key,
    CASE
        WHEN cs.id IS NOT NULL THEN cs.partner_key
        WHEN ck.id IS NOT NULL THEN ck.partner_key
        ELSE t.partner_key
    END AS partner_key,
    t.product_key,
    t.amount,
    t.amount_refunded,
    t.currency,
    t.livemode,
    t.occurred_at,
    t.amount_disputed,
    max(t.amount - t.amount_refunded - t.amount_disputed, 0) AS net_amount
FROM transactions t
LEFT JOIN customers cs ON cs.stripe_customer_id = t.stripe_customer_id
LEFT JOIN customers ck ON cs.id IS NULL AND ck.customer_key = t.customer_key;

CREATE VIEW partner_summary AS
SELECT
    a.partner_key,
    p.name,
    a.livemode,
    a.currency,
    (SELECT count(*) FROM customers c
      WHERE c.partner_key IS a.partner_key AND c.livemode = a.livemode) AS customers,
    count(*)               AS transactions,
    sum(a.amount)          AS gross,
    sum(a.amount_refunded) AS refunded,
    sum(a.amount_disputed) AS disputed,
    sum(a.net_amount)      AS net
FROM attributed_transactions a
LEFT JOIN partners p ON p.partner_key = a.partner_key
GROUP BY a.partner_key, a.livemode, a.currency;
