-- attributiond schema: what is known about each identity, kept as running merges.
--
-- Versions 2-6 kept every sighting of a customer key and every piece of partner
-- evidence as a row, and re-derived a customer by reading all of them: a customer
-- key on 10,000 charges made each new charge read 10,000 rows. Every rule that
-- read them is a least or greatest element (the earliest sighting, the latest
-- signup, the best link between a key and a Stripe customer, the earliest partner,
-- the latest time), so each is kept here as it arrives instead: the new value is
-- compared with the kept one, whatever order the events come in.

-- Per customer key: its earliest sighting (created_at and livemode of its row),
-- its latest sighting time (updated_at), and its latest signup (email and name).
CREATE TABLE fact_keys (
    customer_key   TEXT    NOT NULL PRIMARY KEY,
    first_at       INTEGER NOT NULL,
    first_ref      TEXT    NOT NULL,
    first_livemode INTEGER NOT NULL CHECK (first_livemode IN (0, 1)),
    last_at        INTEGER NOT NULL,
    signup_at      INTEGER,
    signup_ref     TEXT,
    signup_email   TEXT,
    signup_name    TEXT
) STRICT;

-- Per customer key and Stripe customer seen together: the best sighting of the
-- pair, by priority (0 the customer's own metadata, 1 a signup, 2 a charge or
-- invoice), then time, then event id. A Stripe customer is known by the key of
-- its best pair; a key's row holds the first of its Stripe customers, in that
-- order, that is known by it.
CREATE TABLE fact_key_links (
    customer_key       TEXT    NOT NULL,
    stripe_customer_id TEXT    NOT NULL,
    priority           INTEGER NOT NULL,
    at                 INTEGER NOT NULL,
    ref                TEXT    NOT NULL,
    PRIMARY KEY (customer_key, stripe_customer_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX fact_key_links_customer ON fact_key_links (stripe_customer_id, priority, at, ref);

-- Per identity (a customer key or a Stripe customer): its earliest partner
-- evidence, by time then partner key, and the time of its latest.
CREATE TABLE fact_identity_partners (
    identity_kind TEXT    NOT NULL CHECK (identity_kind IN ('key', 'customer')),
    identity      TEXT    NOT NULL,
    first_at      INTEGER NOT NULL,
    partner_key   TEXT    NOT NULL,
    last_at       INTEGER NOT NULL,
    PRIMARY KEY (identity_kind, identity)
) STRICT, WITHOUT ROWID;

INSERT INTO fact_keys (customer_key, first_at, first_ref, first_livemode, last_at,
                       signup_at, signup_ref, signup_email, signup_name)
SELECT f.customer_key, f.at, f.ref, f.livemode, f.last_at, s.at, s.ref, s.email, s.name
FROM (
    SELECT customer_key, at, ref, livemode, max(at) OVER (PARTITION BY customer_key) AS last_at,
           row_number() OVER (PARTITION BY customer_key ORDER BY at, ref) AS n
    FROM fact_key_sightings
) AS f
LEFT JOIN (
    SELECT customer_key, at, ref, email, name,
           row_number() OVER (PARTITION BY customer_key ORDER BY at DESC, ref DESC) AS n
    FROM fact_key_sightings WHERE priority = 1
) AS s ON s.customer_key = f.customer_key AND s.n = 1
WHERE f.n = 1;

INSERT INTO fact_key_links (customer_key, stripe_customer_id, priority, at, ref)
SELECT customer_key, stripe_customer_id, priority, at, ref FROM (
    SELECT customer_key, stripe_customer_id, priority, at, ref,
           row_number() OVER (PARTITION BY customer_key, stripe_customer_id ORDER BY priority, at, ref) AS n
    FROM fact_key_sightings WHERE stripe_customer_id IS NOT NULL
) WHERE n = 1;

INSERT INTO fact_identity_partners (identity_kind, identity, first_at, partner_key, last_at)
SELECT identity_kind, identity, at, partner_key, last_at FROM (
    SELECT identity_kind, identity, at, partner_key, max(at) OVER (PARTITION BY identity_kind, identity) AS last_at,
           row_number() OVER (PARTITION BY identity_kind, identity ORDER BY at, partner_key) AS n
    FROM fact_partner_evidence WHERE identity_kind IN ('key', 'customer')
) WHERE n = 1;

DROP TABLE fact_key_sightings;
DROP TABLE fact_partner_evidence;
