-- attributiond schema, version 2: what the worker remembers, and the views.
--
-- The fact_* tables hold what the events said, merged so that the result does
-- not depend on arrival order (latest snapshot by event version, terminal
-- flags that only turn on, amounts that only grow, sets of sightings). The
-- public tables customers, partners, transactions and subscriptions are
-- derived from them after every event. Users need not read them.

-- Latest snapshot of each Stripe customer (by event version), plus deletion.
CREATE TABLE fact_customers (
    stripe_customer_id TEXT    NOT NULL PRIMARY KEY,
    v_created          INTEGER NOT NULL,
    v_rank             INTEGER NOT NULL,
    v_event            TEXT    NOT NULL,
    email              TEXT,
    name               TEXT,
    customer_key       TEXT,
    livemode           INTEGER NOT NULL CHECK (livemode IN (0, 1)),
    created_at         INTEGER NOT NULL,
    deleted_at         INTEGER
) STRICT;

-- Latest snapshot of each charge; max_refunded only grows, reversed only turns on.
CREATE TABLE fact_charges (
    charge_id          TEXT    NOT NULL PRIMARY KEY,
    v_created          INTEGER NOT NULL,
    v_rank             INTEGER NOT NULL,
    v_event            TEXT    NOT NULL,
    status             TEXT    NOT NULL,
    amount             INTEGER NOT NULL,
    currency           TEXT    NOT NULL,
    stripe_customer_id TEXT,
    customer_key       TEXT,
    partner_key        TEXT,
    product_key        TEXT,
    invoice_id         TEXT,
    payment_intent_id  TEXT,
    livemode           INTEGER NOT NULL CHECK (livemode IN (0, 1)),
    created_at         INTEGER NOT NULL,
    max_refunded       INTEGER NOT NULL,
    reversed           INTEGER NOT NULL CHECK (reversed IN (0, 1))
) STRICT;
CREATE INDEX fact_charges_invoice ON fact_charges (invoice_id) WHERE invoice_id IS NOT NULL;
CREATE INDEX fact_charges_payment_intent ON fact_charges (payment_intent_id) WHERE payment_intent_id IS NOT NULL;

-- Latest snapshot of each subscription; deleted only turns on.
CREATE TABLE fact_subscriptions (
    subscription_id      TEXT    NOT NULL PRIMARY KEY,
    v_created            INTEGER NOT NULL,
    v_rank               INTEGER NOT NULL,
    v_event              TEXT    NOT NULL,
    stripe_customer_id   TEXT,
    status               TEXT    NOT NULL,
    price_id             TEXT,
    product_id           TEXT,
    amount               INTEGER NOT NULL,
    currency             TEXT,
    interval             TEXT,
    current_period_end   INTEGER,
    cancel_at_period_end INTEGER NOT NULL,
    canceled_at          INTEGER,
    livemode             INTEGER NOT NULL CHECK (livemode IN (0, 1)),
    deleted              INTEGER NOT NULL CHECK (deleted IN (0, 1))
) STRICT;

-- Latest paid snapshot of each invoice.
CREATE TABLE fact_invoices (
    invoice_id         TEXT    NOT NULL PRIMARY KEY,
    v_created          INTEGER NOT NULL,
    v_rank             INTEGER NOT NULL,
    v_event            TEXT    NOT NULL,
    amount_paid        INTEGER NOT NULL,
    currency           TEXT    NOT NULL,
    stripe_customer_id TEXT,
    customer_key       TEXT,
    partner_key        TEXT,
    product_key        TEXT,
    livemode           INTEGER NOT NULL CHECK (livemode IN (0, 1)),
    paid_at            INTEGER NOT NULL
) STRICT;

-- Which charge or payment intent paid which invoice, from any event that says so.
CREATE TABLE fact_invoice_payments (
    invoice_id TEXT NOT NULL,
    payer_id   TEXT NOT NULL,                          -- ch_… or pi_…
    PRIMARY KEY (invoice_id, payer_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX fact_invoice_payments_payer ON fact_invoice_payments (payer_id);

-- Every time a customer key was seen, and with which Stripe customer.
CREATE TABLE fact_key_sightings (
    customer_key       TEXT    NOT NULL,
    ref                TEXT    NOT NULL,               -- the event id
    stripe_customer_id TEXT,
    priority           INTEGER NOT NULL,               -- 0 customer object, 1 signup, 2 charge or invoice
    at                 INTEGER NOT NULL,
    livemode           INTEGER NOT NULL CHECK (livemode IN (0, 1)),
    email              TEXT,
    name               TEXT,
    PRIMARY KEY (customer_key, ref)
) STRICT;
CREATE INDEX fact_key_sightings_customer ON fact_key_sightings (stripe_customer_id)
    WHERE stripe_customer_id IS NOT NULL;

-- Every partner key seen for an identity: a customer key, a Stripe customer,
-- or (kind 'transaction') a charge or invoice with no customer. First by time wins.
CREATE TABLE fact_partner_evidence (
    identity_kind TEXT    NOT NULL CHECK (identity_kind IN ('key', 'customer', 'transaction', 'partner')),
    identity      TEXT    NOT NULL,
    ref           TEXT    NOT NULL,
    partner_key   TEXT    NOT NULL,
    at            INTEGER NOT NULL,
    source        TEXT    NOT NULL CHECK (source IN ('admin', 'signup', 'stripe')),
    PRIMARY KEY (identity_kind, identity, ref)
) STRICT;
CREATE INDEX fact_partner_evidence_partner ON fact_partner_evidence (partner_key);

-- Partner names and emails given by an administrator.
CREATE TABLE fact_partner_profiles (
    partner_key TEXT    NOT NULL PRIMARY KEY,
    v_created   INTEGER NOT NULL,
    v_event     TEXT    NOT NULL,
    name        TEXT,
    email       TEXT
) STRICT;

-- Each transaction with the partner it counts for: its customer's (found by
-- Stripe customer id, then by customer key); the transaction's own partner key
-- only when no customer is known.
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
    max(t.amount - t.amount_refunded, 0) AS net_amount
FROM transactions t
LEFT JOIN customers cs ON cs.stripe_customer_id = t.stripe_customer_id
LEFT JOIN customers ck ON cs.id IS NULL AND ck.customer_key = t.customer_key;

-- Per partner (NULL: unattributed), mode and currency: customers and money.
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
    sum(a.net_amount)      AS net
FROM attributed_transactions a
LEFT JOIN partners p ON p.partner_key = a.partner_key
GROUP BY a.partner_key, a.livemode, a.currency;
