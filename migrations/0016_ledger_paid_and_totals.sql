-- attributiond schema: what was paid sits on each commission row, and the
-- ledger keeps running totals per partner, mode, currency and month.
--
-- Version 15's `partner_balances` read every commission row and grouped what
-- the payouts paid of it on each read: on 1,000,000 transactions `balances`
-- took 2.7 s and `payouts create --dry-run` 1.6 s. Now:
--
-- * ledger_commissions.paid: what the payouts not voided paid of the row's
--   transaction (the projector derives it from payout_items with the
--   commission). A transaction a payout paid but which has no commission any
--   more (gone, unattributed, no rule) keeps a row with rule_event '' and
--   commission 0 while something was paid of it: a clawback to net.
-- * ledger_totals: per partner, mode, currency and month of occurred_at, the
--   sums of the visible rows (commission or paid not 0). The projector adds
--   each row's change to its month's totals when it writes the row, so the
--   totals are integer sums of the rows, the same in any order.
--
-- A balance needs the rows past the hold period apart from those still in it,
-- and that boundary moves with the clock: the months before the boundary's
-- month come whole from ledger_totals, and only the boundary's month is read
-- row by row (through the index on transactions.occurred_at, and for rows
-- without a rule the partial index below). No index on
-- ledger_commissions (occurred_at): its random inserts made a rule set from
-- the beginning on 1,000,000 transactions several times slower.

ALTER TABLE ledger_commissions ADD COLUMN paid INTEGER NOT NULL DEFAULT 0;

UPDATE ledger_commissions SET paid = (
    SELECT coalesce(sum(i.amount), 0) FROM payout_items i JOIN payouts p ON p.payout_id = i.payout_id
    WHERE p.status <> 'voided' AND i.transaction_id = ledger_commissions.transaction_id);

INSERT INTO ledger_commissions (transaction_id, partner_key, currency, livemode, occurred_at, net_amount, commission,
    held, rule_event, paid)
SELECT i.transaction_id, min(i.partner_key), min(i.currency), 1, min(i.occurred_at), 0, 0, 0, '', sum(i.amount)
FROM payout_items i JOIN payouts p ON p.payout_id = i.payout_id
WHERE p.status <> 'voided'
  AND NOT EXISTS (SELECT 1 FROM ledger_commissions l WHERE l.transaction_id = i.transaction_id)
GROUP BY i.transaction_id
HAVING sum(i.amount) <> 0;

CREATE INDEX ledger_commissions_unruled ON ledger_commissions (occurred_at) WHERE rule_event = '';

-- `row_count` counts the visible rows (a group whose count reaches 0 is deleted);
-- `open_rows` the rows not held whose commission differs from what was paid
-- (the items a payout would list); held and held_paid the held rows' sums.
CREATE TABLE ledger_totals (
    partner_key TEXT    NOT NULL,
    livemode    INTEGER NOT NULL,
    currency    TEXT    NOT NULL,
    month       TEXT    NOT NULL,
    row_count   INTEGER NOT NULL,
    earned      INTEGER NOT NULL,
    held        INTEGER NOT NULL,
    paid        INTEGER NOT NULL,
    held_paid   INTEGER NOT NULL,
    open_rows   INTEGER NOT NULL,
    PRIMARY KEY (partner_key, livemode, currency, month)
) STRICT, WITHOUT ROWID;

INSERT INTO ledger_totals
SELECT partner_key, livemode, currency, substr(occurred_at, 1, 7), count(*), sum(commission),
       sum(iif(held = 1, commission, 0)), sum(paid), sum(iif(held = 1, paid, 0)),
       sum(held = 0 AND commission <> paid)
FROM ledger_commissions
WHERE commission <> 0 OR paid <> 0
GROUP BY partner_key, livemode, currency, substr(occurred_at, 1, 7);

DROP VIEW partner_balances;
DROP VIEW commissions;
DROP VIEW ledger_rows;

-- Every commission row with what was paid of it (the visible rows).
CREATE VIEW ledger_rows AS
SELECT transaction_id, partner_key, currency, livemode, occurred_at, net_amount, commission, paid, held
FROM ledger_commissions
WHERE commission <> 0 OR paid <> 0;

CREATE VIEW commissions AS
SELECT r.transaction_id, r.partner_key, r.currency, r.livemode, r.occurred_at, r.net_amount, r.commission, r.paid,
       CASE WHEN r.held = 1 THEN 'held'
            WHEN r.occurred_at > b.pending_after THEN 'pending'
            WHEN r.paid = r.commission THEN 'paid'
            WHEN r.paid > r.commission THEN 'clawback'
            ELSE 'payable' END AS status
FROM ledger_rows r,
     (SELECT strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-' || days || ' days') AS pending_after FROM ledger_hold) AS b;

-- The rows of one month, found without reading the others: the ruled rows
-- through their transaction's occurred_at index, the others through their own.
-- occurred_at is the transaction's for a ruled row (the projector writes it so).
CREATE VIEW ledger_boundary AS
SELECT strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-' || days || ' days') AS pending_after,
       strftime('%Y-%m', 'now', '-' || days || ' days') AS month,
       strftime('%Y-%m-01T00:00:00Z', 'now', '-' || days || ' days') AS month_start,
       strftime('%Y-%m-01T00:00:00Z', 'now', '-' || days || ' days', 'start of month', '+1 month') AS month_end
FROM ledger_hold;

CREATE VIEW partner_balances AS
WITH edge_rows AS (
    SELECT l.partner_key, l.livemode, l.currency, l.occurred_at > b.pending_after AS pending, l.commission, l.held,
           l.paid
    FROM ledger_boundary b
    JOIN transactions t ON t.occurred_at >= b.month_start AND t.occurred_at < b.month_end
    JOIN ledger_commissions l ON l.transaction_id = t.transaction_id AND l.rule_event <> ''
    UNION ALL
    SELECT l.partner_key, l.livemode, l.currency, l.occurred_at > b.pending_after, l.commission, l.held, l.paid
    FROM ledger_boundary b
    JOIN ledger_commissions l ON l.rule_event = '' AND l.occurred_at >= b.month_start AND l.occurred_at < b.month_end
),
edge AS (
    SELECT partner_key, livemode, currency,
           sum(iif(held = 0 AND pending, commission, 0)) AS pending,
           sum(iif(held = 0 AND NOT pending, commission - paid, 0)) AS due
    FROM edge_rows
    GROUP BY partner_key, livemode, currency
),
whole AS (
    SELECT t.partner_key, t.livemode, t.currency, sum(t.earned) AS earned, sum(t.held) AS held, sum(t.paid) AS paid,
           sum(iif(t.month > b.month, t.earned - t.held, 0)) AS pending,
           sum(iif(t.month < b.month, t.earned - t.held - t.paid + t.held_paid, 0)) AS due
    FROM ledger_totals t, ledger_boundary b
    GROUP BY t.partner_key, t.livemode, t.currency
)
SELECT w.partner_key, w.livemode, w.currency, w.earned, w.pending + coalesce(e.pending, 0) AS pending, w.held, w.paid,
       w.due + coalesce(e.due, 0) AS due
FROM whole w
LEFT JOIN edge e ON e.partner_key = w.partner_key AND e.livemode = w.livemode AND e.currency = w.currency;
