-- attributiond schema: where each inbox event came from.
--
-- Stripe's webhooks, files given to `import`, pages read by `backfill`, and
-- the daemon's own admin events (signups, partner profiles, settings) all
-- land in the one inbox; `origin` says which, so an operator can tell a
-- backfilled gap from a live delivery. Events stored before this column
-- existed are the daemon's own (type `attributiond.*`) or webhooks.
ALTER TABLE inbox_events ADD COLUMN origin TEXT NOT NULL DEFAULT 'webhook'
    CHECK (origin IN ('webhook', 'import', 'backfill', 'admin'));
UPDATE inbox_events SET origin = 'admin' WHERE type LIKE 'attributiond.%';
