-- attributiond schema, version 5: each partner's earliest evidence in a row of its own.
--
-- A partner's row (created_at, source) comes from its earliest evidence. Version 4
-- found it through an index on fact_partner_evidence (partner_key, at, source). Every
-- event naming a partner wrote into that index at the partner's place, a different
-- page for each partner, so a batch of events for fifty partners rewrote about as many
-- index pages, and each write searched its way there. Evidence only grows, so its
-- earliest row per partner can be kept as it arrives instead (an order-independent
-- minimum): one small row per partner, rewritten only when it changes.
CREATE TABLE fact_partner_first (
    partner_key TEXT    NOT NULL PRIMARY KEY,
    at          INTEGER NOT NULL,
    source      TEXT    NOT NULL CHECK (source IN ('admin', 'signup', 'stripe'))
) STRICT;

INSERT INTO fact_partner_first (partner_key, at, source)
SELECT partner_key, at, source FROM (
    SELECT partner_key, at, source,
           row_number() OVER (PARTITION BY partner_key ORDER BY at, source) AS n
    FROM fact_partner_evidence
) WHERE n = 1;

DROP INDEX fact_partner_evidence_first;
