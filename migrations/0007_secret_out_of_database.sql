-- A generated webhook signing secret is kept in `<database>.secret` (mode 0600),
-- never in a table: whoever can read the database must not be able to forge
-- webhooks. Before this runs, the migration runner writes a secret found here to
-- that file; the row goes in the same transaction.
DELETE FROM daemon_settings WHERE key = 'webhook_secret';
