-- attributiond public schema, version 1.
-- Timestamps are ISO-8601 UTC text; amounts are integer minor units; booleans are 0/1.

-- Every webhook delivery, byte for byte, keyed by Stripe's event id.
CREATE TABLE inbox_events (
    seq               INTEGER PRIMARY KEY,            -- arrival order
    event_id          TEXT    NOT NULL UNIQUE,
    type              TEXT    NOT NULL,
    livemode          INTEGER NOT NULL CHECK (livemode IN (0, 1)),
    api_version       TEXT,
    stripe_created_at TEXT    NOT NULL,
    received_at       TEXT    NOT NULL,
    payload           TEXT    NOT NULL,               -- the raw body
    status            TEXT    NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'applied', 'ignored', 'failed', 'dead')),
    attempts          INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error        TEXT,
    next_attempt_at   TEXT,
    applied_at        TEXT
) STRICT;

-- The worker's queue: only events still to do are in this index.
CREATE INDEX inbox_events_due ON inbox_events (next_attempt_at, seq)
    WHERE status IN ('pending', 'failed');
CREATE INDEX inbox_events_status ON inbox_events (status);

CREATE TABLE partners (
    partner_key TEXT NOT NULL PRIMARY KEY,
    name        TEXT,
    email       TEXT,
    created_at  TEXT NOT NULL,
    source      TEXT NOT NULL CHECK (source IN ('admin', 'signup', 'stripe'))
) STRICT;

CREATE TABLE customers (
    id                 INTEGER PRIMARY KEY,
    customer_key       TEXT UNIQUE,
    stripe_customer_id TEXT UNIQUE,
    partner_key        TEXT,
    email              TEXT,
    name               TEXT,
    livemode           INTEGER NOT NULL CHECK (livemode IN (0, 1)),
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    deleted_at         TEXT,
    CHECK (customer_key IS NOT NULL OR stripe_customer_id IS NOT NULL)
) STRICT;
CREATE INDEX customers_partner ON customers (partner_key);

CREATE TABLE transactions (
    transaction_id     TEXT    NOT NULL PRIMARY KEY,  -- the charge or invoice id
    source             TEXT    NOT NULL CHECK (source IN ('charge', 'invoice')),
    stripe_customer_id TEXT,
    customer_key       TEXT,
    partner_key        TEXT,                          -- the charge's or invoice's own key
    product_key        TEXT,
    amount             INTEGER NOT NULL CHECK (amount >= 0),
    amount_refunded    INTEGER NOT NULL DEFAULT 0 CHECK (amount_refunded >= 0),
    currency           TEXT    NOT NULL,
    livemode           INTEGER NOT NULL CHECK (livemode IN (0, 1)),
    occurred_at        TEXT    NOT NULL
) STRICT;
CREATE INDEX transactions_customer ON transactions (stripe_customer_id);
CREATE INDEX transactions_customer_key ON transactions (customer_key);
CREATE INDEX transactions_occurred ON transactions (occurred_at);

CREATE TABLE subscriptions (
    subscription_id      TEXT    NOT NULL PRIMARY KEY,
    stripe_customer_id   TEXT,
    status               TEXT    NOT NULL,            -- Stripe's status, as sent
    price_id             TEXT,
    product_id           TEXT,
    amount               INTEGER NOT NULL CHECK (amount >= 0),
    currency             TEXT,
    interval             TEXT,
    current_period_end   TEXT,
    cancel_at_period_end INTEGER NOT NULL CHECK (cancel_at_period_end IN (0, 1)),
    canceled_at          TEXT,
    livemode             INTEGER NOT NULL CHECK (livemode IN (0, 1)),
    updated_at           TEXT    NOT NULL
) STRICT;
CREATE INDEX subscriptions_customer ON subscriptions (stripe_customer_id);

CREATE TABLE reward_rules (
    id          INTEGER PRIMARY KEY,
    partner_key TEXT,                                 -- NULL: all partners
    product_key TEXT,                                 -- NULL: all products
    percent_bps INTEGER CHECK (percent_bps BETWEEN 0 AND 10000),
    flat_amount INTEGER CHECK (flat_amount >= 0),
    currency    TEXT,
    CHECK ((percent_bps IS NOT NULL AND flat_amount IS NULL AND currency IS NULL)
        OR (percent_bps IS NULL AND flat_amount IS NOT NULL AND currency IS NOT NULL))
) STRICT;
CREATE UNIQUE INDEX reward_rules_scope ON reward_rules (ifnull(partner_key, ''), ifnull(product_key, ''));

-- Daemon settings kept with the data, such as the generated webhook secret.
CREATE TABLE daemon_settings (
    key   TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
