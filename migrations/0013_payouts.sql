-- attributiond schema: payouts, what each commission was paid, and balances (docs/ledger.md).
--
-- A payout is one admin event holding its lines and items, so what was paid
-- never changes when later events arrive. `mark-paid` and `void` are admin
-- events too (fact_payout_marks); a payout's status is derived from them.
CREATE TABLE payouts (
    payout_id  TEXT    NOT NULL PRIMARY KEY,
    created_at TEXT    NOT NULL,
    as_of      TEXT    NOT NULL,
    hold_days  INTEGER NOT NULL CHECK (hold_days >= 0),
    status     TEXT    NOT NULL CHECK (status IN ('created', 'paid', 'voided')),
    paid_at    TEXT,
    reference  TEXT
) STRICT;

CREATE TABLE payout_lines (
    payout_id   TEXT    NOT NULL,
    partner_key TEXT    NOT NULL,
    currency    TEXT    NOT NULL,
    amount      INTEGER NOT NULL,
    PRIMARY KEY (payout_id, partner_key, currency)
) STRICT;

-- One row per commission row a payout paid (negative: a clawback netted).
-- occurred_at keeps a clawback listed after its transaction disappeared.
CREATE TABLE payout_items (
    payout_id      TEXT    NOT NULL,
    transaction_id TEXT    NOT NULL,
    partner_key    TEXT    NOT NULL,
    currency       TEXT    NOT NULL,
    amount         INTEGER NOT NULL,
    occurred_at    TEXT    NOT NULL,
    PRIMARY KEY (payout_id, transaction_id)
) STRICT;
CREATE INDEX payout_items_transaction ON payout_items (transaction_id);

-- mark-paid and void, whichever order they arrive in: the earliest of each kind.
CREATE TABLE fact_payout_marks (
    payout_id TEXT    NOT NULL,
    kind      TEXT    NOT NULL CHECK (kind IN ('paid', 'voided')),
    at        INTEGER NOT NULL,
    v_event   TEXT    NOT NULL,
    reference TEXT,
    PRIMARY KEY (payout_id, kind)
) STRICT;

-- Every commission row with what was paid of it and when its hold ends;
-- rows of transactions that disappeared stay while something was paid.
CREATE VIEW ledger_rows AS
WITH paid AS (
    SELECT i.transaction_id, min(i.partner_key) AS partner_key, min(i.currency) AS currency,
           min(i.occurred_at) AS occurred_at, sum(i.amount) AS paid
    FROM payout_items i JOIN payouts p ON p.payout_id = i.payout_id
    WHERE p.status <> 'voided'
    GROUP BY i.transaction_id
),
hold AS (SELECT coalesce((SELECT days FROM reward_hold WHERE id = 1), 30) AS days),
all_rows AS (
    SELECT l.transaction_id, l.partner_key, l.currency, l.livemode, l.occurred_at, l.net_amount, l.commission,
           coalesce(pd.paid, 0) AS paid, l.held
    FROM ledger_commissions l LEFT JOIN paid pd ON pd.transaction_id = l.transaction_id
    UNION ALL
    SELECT pd.transaction_id, pd.partner_key, pd.currency, 1, pd.occurred_at, 0, 0, pd.paid, 0
    FROM paid pd
    WHERE NOT EXISTS (SELECT 1 FROM ledger_commissions l WHERE l.transaction_id = pd.transaction_id)
)
SELECT r.*, strftime('%Y-%m-%dT%H:%M:%SZ', r.occurred_at, '+' || hold.days || ' days') AS hold_until
FROM all_rows r, hold
WHERE r.commission <> 0 OR r.paid <> 0;

CREATE VIEW commissions AS
SELECT transaction_id, partner_key, currency, livemode, occurred_at, net_amount, commission, paid,
       CASE WHEN held = 1 THEN 'held'
            WHEN hold_until > strftime('%Y-%m-%dT%H:%M:%SZ', 'now') THEN 'pending'
            WHEN paid = commission THEN 'paid'
            WHEN paid > commission THEN 'clawback'
            ELSE 'payable' END AS status
FROM ledger_rows;

CREATE VIEW partner_balances AS
SELECT c.partner_key, c.livemode, c.currency,
       sum(c.commission) AS earned,
       sum(iif(c.status = 'pending', c.commission, 0)) AS pending,
       sum(iif(c.status = 'held', c.commission, 0)) AS held,
       sum(c.paid) AS paid,
       sum(iif(c.status IN ('pending', 'held'), 0, c.commission - c.paid)) AS due
FROM commissions c
GROUP BY c.partner_key, c.livemode, c.currency;
