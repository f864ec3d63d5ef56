-- attributiond schema, version 3: the worker's queue in arrival order.
--
-- The worker takes due events oldest first (ORDER BY seq). Version 1's index
-- led by next_attempt_at could not give that order, so SQLite fetched every
-- pending row and sorted it for each batch: quadratic in a large backlog.
-- This partial index holds only events still to do, in seq order.
DROP INDEX inbox_events_due;
CREATE INDEX inbox_events_todo ON inbox_events (seq) WHERE status IN ('pending', 'failed');
