import AttributionCore

/// One row of `ledger_commissions` as the projector derives it: a
/// transaction's commission under the rule that decides it, and what the
/// payouts not voided paid of it.
///
/// A transaction that was paid but has no commission any more (gone,
/// unattributed, or no rule) keeps a row with `ruleEvent` "" and commission 0
/// while something is paid of it: a clawback the next payout nets. Its
/// partner, currency and time come from the payout items (the least of each),
/// so the row is the same whichever order the events came in.
struct LedgerRow: Equatable {
    var partnerKey: String
    var currency: String
    var livemode: Bool
    /// The transaction's time for a ruled row (the balance views find ruled
    /// rows of a month through `transactions.occurred_at`, so the two must agree).
    var occurredAt: String
    var netAmount: Int64
    var commission: Int64
    var held: Bool
    var ruleEvent: String
    var paid: Int64

    /// The rows the views show and the totals count: something earned or paid.
    var visible: Bool { commission != 0 || paid != 0 }
    /// The `ledger_totals` group the row counts in ("2026-11").
    var month: Substring { occurredAt.prefix(7) }

    /// What the payouts not voided paid of one transaction, with the least partner, currency and time of their items.
    struct Paid {
        var amount: Int64
        var partnerKey: String
        var currency: String
        var occurredAt: String
    }

    /// The row as stored, and what was paid of the transaction, in one statement.
    static func read(_ id: String, in db: Statements) throws -> (stored: LedgerRow?, paid: Paid?) {
        try db.one(
            """
            SELECT l.partner_key, l.currency, l.livemode, l.occurred_at, l.net_amount, l.commission, l.held,
                   l.rule_event, l.paid, pd.amount, pd.partner_key, pd.currency, pd.occurred_at
            FROM (SELECT sum(i.amount) AS amount, min(i.partner_key) AS partner_key, min(i.currency) AS currency,
                         min(i.occurred_at) AS occurred_at
                  FROM payout_items i JOIN payouts p ON p.payout_id = i.payout_id
                  WHERE i.transaction_id = ?1 AND p.status <> 'voided') AS pd
            LEFT JOIN ledger_commissions l ON l.transaction_id = ?1
            """, id
        ) { c in
            let stored: LedgerRow? =
                try (c[0] as String?).map { partner in
                    LedgerRow(
                        partnerKey: partner, currency: try c[1], livemode: try c[2], occurredAt: try c[3],
                        netAmount: try c[4], commission: try c[5], held: try c[6], ruleEvent: try c[7], paid: try c[8])
                }
            let paid: Paid? =
                try (c[9] as Int64?).map { amount in
                    Paid(amount: amount, partnerKey: try c[10], currency: try c[11], occurredAt: try c[12])
                }
            return (stored, paid)
        } ?? (nil, nil)
    }

    /// Writes `new` in place of `old` (nil: no row); unchanged rows are not written.
    static func write(_ id: String, from old: LedgerRow?, to new: LedgerRow?, in db: Statements) throws {
        guard old != new else { return }
        guard let new else {
            try db.run("DELETE FROM ledger_commissions WHERE transaction_id = ?", id)
            return
        }
        guard let old else {
            try db.run(
                """
                INSERT INTO ledger_commissions (transaction_id, partner_key, currency, livemode, occurred_at, net_amount,
                    commission, held, rule_event, paid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, id, new.partnerKey, new.currency, new.livemode, new.occurredAt, new.netAmount, new.commission,
                new.held, new.ruleEvent, new.paid)
            return
        }
        // Only the amounts changed (a rule, a refund, a payout): leave the indexed columns alone,
        // so SQLite does not rewrite their index entries.
        if (old.partnerKey, old.currency, old.livemode, old.occurredAt) == (new.partnerKey, new.currency, new.livemode, new.occurredAt) {
            try db.run(
                """
                UPDATE ledger_commissions SET net_amount = ?, commission = ?, held = ?, rule_event = ?, paid = ?
                WHERE transaction_id = ?
                """, new.netAmount, new.commission, new.held, new.ruleEvent, new.paid, id)
        } else {
            try db.run(
                """
                UPDATE ledger_commissions SET partner_key = ?, currency = ?, livemode = ?, occurred_at = ?, net_amount = ?,
                    commission = ?, held = ?, rule_event = ?, paid = ?
                WHERE transaction_id = ?
                """, new.partnerKey, new.currency, new.livemode, new.occurredAt, new.netAmount, new.commission, new.held,
                new.ruleEvent, new.paid, id)
        }
    }
}

/// Changes to `ledger_totals`, summed in memory while the ledger settles and
/// written once at its end: a rule that re-derives a million rows writes one
/// row per partner, currency and month, not one per commission.
struct LedgerTotalsChange {
    struct Group: Hashable {
        var partnerKey: String
        var livemode: Bool
        var currency: String
        var month: String
    }

    struct Sums: Equatable {
        var rows: Int64 = 0
        var earned: Int64 = 0
        var held: Int64 = 0
        var paid: Int64 = 0
        var heldPaid: Int64 = 0
        var openRows: Int64 = 0
    }

    private(set) var groups: [Group: Sums] = [:]

    /// Takes `old` out of its group's sums and puts `new` into its own.
    mutating func replace(_ old: LedgerRow?, with new: LedgerRow?) {
        if let old { add(old, sign: -1) }
        if let new { add(new, sign: 1) }
    }

    private mutating func add(_ row: LedgerRow, sign: Int64) {
        guard row.visible else { return }
        let group = Group(partnerKey: row.partnerKey, livemode: row.livemode, currency: row.currency, month: String(row.month))
        var s = groups[group, default: Sums()]
        s.rows += sign
        s.earned += sign * row.commission
        s.held += row.held ? sign * row.commission : 0
        s.paid += sign * row.paid
        s.heldPaid += row.held ? sign * row.paid : 0
        s.openRows += !row.held && row.commission != row.paid ? sign : 0
        groups[group] = s
    }

    /// Adds the sums to `ledger_totals`; a group left without rows is deleted.
    mutating func write(to db: Statements) throws {
        for (g, s) in groups where s != Sums() {
            try db.run(
                """
                INSERT INTO ledger_totals (partner_key, livemode, currency, month, row_count, earned, held, paid, held_paid, open_rows)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (partner_key, livemode, currency, month) DO UPDATE SET
                    row_count = row_count + excluded.row_count, earned = earned + excluded.earned, held = held + excluded.held,
                    paid = paid + excluded.paid, held_paid = held_paid + excluded.held_paid,
                    open_rows = open_rows + excluded.open_rows
                """, g.partnerKey, g.livemode, g.currency, g.month, s.rows, s.earned, s.held, s.paid, s.heldPaid, s.openRows)
            if s.rows < 0 {
                try db.run(
                    "DELETE FROM ledger_totals WHERE partner_key = ? AND livemode = ? AND currency = ? AND month = ? AND row_count = 0",
                    g.partnerKey, g.livemode, g.currency, g.month)
            }
        }
        groups = [:]
    }
}
