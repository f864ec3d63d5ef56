-- attributiond schema: the ledger's views compare each row with one hold boundary.
--
-- Version 13 computed each row's hold end (occurred_at + hold days, a strftime
-- per row) and `partner_balances` evaluated the status three times a row: on
-- 1,000,000 transactions `balances` took 3.9 s and `payouts create --dry-run`
-- 2.6 s. "occurred_at + hold > A" is "occurred_at > A - hold" (UTC, whole days),
-- so the boundary is computed once per query and each row compares text.

DROP VIEW partner_balances;
DROP VIEW commissions;
DROP VIEW ledger_rows;

-- Every commission row with what was paid of it; rows of transactions that
-- disappeared stay while something was paid.
CREATE VIEW ledger_rows AS
WITH paid AS (
    SELECT i.transaction_id, min(i.partner_key) AS partner_key, min(i.currency) AS currency,
           min(i.occurred_at) AS occurred_at, sum(i.amount) AS paid
    FROM payout_items i JOIN payouts p ON p.payout_id = i.payout_id
    WHERE p.status <> 'voided'
    GROUP BY i.transaction_id
),
all_rows AS (
    SELECT l.transaction_id, l.partner_key, l.currency, l.livemode, l.occurred_at, l.net_amount, l.commission,
           coalesce(pd.paid, 0) AS paid, l.held
    FROM ledger_commissions l LEFT JOIN paid pd ON pd.transaction_id = l.transaction_id
    UNION ALL
    SELECT pd.transaction_id, pd.partner_key, pd.currency, 1, pd.occurred_at, 0, 0, pd.paid, 0
    FROM paid pd
    WHERE NOT EXISTS (SELECT 1 FROM ledger_commissions l WHERE l.transaction_id = pd.transaction_id)
)
SELECT * FROM all_rows WHERE commission <> 0 OR paid <> 0;

-- The hold period in days (30 until `rewards hold` sets it).
CREATE VIEW ledger_hold AS
SELECT coalesce((SELECT days FROM reward_hold WHERE id = 1), 30) AS days;

CREATE VIEW commissions AS
SELECT r.transaction_id, r.partner_key, r.currency, r.livemode, r.occurred_at, r.net_amount, r.commission, r.paid,
       CASE WHEN r.held = 1 THEN 'held'
            WHEN r.occurred_at > b.pending_after THEN 'pending'
            WHEN r.paid = r.commission THEN 'paid'
            WHEN r.paid > r.commission THEN 'clawback'
            ELSE 'payable' END AS status
FROM ledger_rows r,
     (SELECT strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-' || days || ' days') AS pending_after FROM ledger_hold) AS b;

CREATE VIEW partner_balances AS
SELECT r.partner_key, r.livemode, r.currency,
       sum(r.commission) AS earned,
       sum(iif(r.held = 0 AND r.occurred_at > b.pending_after, r.commission, 0)) AS pending,
       sum(iif(r.held = 1, r.commission, 0)) AS held,
       sum(r.paid) AS paid,
       sum(iif(r.held = 0 AND r.occurred_at <= b.pending_after, r.commission - r.paid, 0)) AS due
FROM ledger_rows r,
     (SELECT strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-' || days || ' days') AS pending_after FROM ledger_hold) AS b
GROUP BY r.partner_key, r.livemode, r.currency;
