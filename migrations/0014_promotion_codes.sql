-- attributiond schema: promotion codes as a way in.
--
-- A partner's promotion code attributes the customers who use it. Whether a
-- code is a partner's is judged on its current state (its newest snapshot's
-- metadata, else the administrator's mapping of its text), while the evidence
-- a discount gives keeps the discount's own time. So the discounts are kept
-- apart from the other partner evidence, and a code that changes hands
-- re-derives the customers who used it.

-- Newest snapshot of each promotion code, by event version.
CREATE TABLE fact_promotion_codes (
    promotion_code_id    TEXT    NOT NULL PRIMARY KEY,
    v_created            INTEGER NOT NULL,
    v_rank               INTEGER NOT NULL,
    v_event              TEXT    NOT NULL,
    code                 TEXT,
    metadata_partner_key TEXT,
    livemode             INTEGER NOT NULL CHECK (livemode IN (0, 1))
) STRICT;
CREATE INDEX fact_promotion_codes_code ON fact_promotion_codes (code) WHERE code IS NOT NULL;

-- An administrator's mapping of a code's text to a partner; the latest wins.
CREATE TABLE fact_promotion_code_mappings (
    code        TEXT    NOT NULL PRIMARY KEY,
    partner_key TEXT    NOT NULL,
    v_created   INTEGER NOT NULL,
    v_event     TEXT    NOT NULL
) STRICT;

-- Per Stripe customer and promotion code it used: the earliest and latest time.
CREATE TABLE fact_discounts (
    stripe_customer_id TEXT    NOT NULL,
    promotion_code_id  TEXT    NOT NULL,
    first_at           INTEGER NOT NULL,
    last_at            INTEGER NOT NULL,
    PRIMARY KEY (stripe_customer_id, promotion_code_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX fact_discounts_code ON fact_discounts (promotion_code_id);

-- The public table: every promotion code seen, and the partner it belongs to (NULL: none).
CREATE TABLE promotion_codes (
    promotion_code_id TEXT    NOT NULL PRIMARY KEY,
    code              TEXT,
    partner_key       TEXT,
    livemode          INTEGER NOT NULL CHECK (livemode IN (0, 1))
) STRICT;
CREATE INDEX promotion_codes_partner ON promotion_codes (partner_key) WHERE partner_key IS NOT NULL;
