-- attributiond schema: the derivation settings kept with the data they shaped.
--
-- Where transactions come from and what a partial refund does change what
-- every derived table means, so they are recorded as admin events in the
-- inbox (dated, replayed by a rebuild), and this one row holds the latest of
-- them by (created, event id). No row means the defaults: charge, prorate.
CREATE TABLE derivation_settings (
    id                 INTEGER PRIMARY KEY CHECK (id = 1),
    transaction_source TEXT NOT NULL,
    partial_refunds    TEXT NOT NULL,
    v_created          INTEGER NOT NULL,
    v_event            TEXT NOT NULL
) STRICT;
