-- attributiond schema, version 4: a partner's earliest evidence by index.
--
-- The worker re-derives a partner's row (created_at, source) from its earliest
-- evidence after every event that names the partner. Version 2's index on
-- partner_key alone made SQLite read and sort all of a partner's evidence for
-- that, so a partner with many customers slowed every event naming it. This
-- index gives the earliest row directly and serves lookups by partner too.
DROP INDEX fact_partner_evidence_partner;
CREATE INDEX fact_partner_evidence_first ON fact_partner_evidence (partner_key, at, source);
