import AttributionCore
import GRDB

/// Payouts (docs/ledger.md): computed from the live-mode commission rows neither
/// pending nor held as of a moment, recorded whole as one admin event.
extension AppDatabase {
    /// What `payouts create` is asked for.
    public struct PayoutRequest: Sendable {
        public var asOf: Int64
        public var partner: String?
        /// Minimum per currency, in minor units; default: any positive amount.
        public var minimums: [String: Int64]

        public init(asOf: Int64, partner: String? = nil, minimums: [String: Int64] = [:]) {
            self.asOf = asOf
            self.partner = partner
            self.minimums = minimums
        }
    }

    /// What `request` would pay now (lines and how many items each), or nil when nothing is due.
    /// Read from the ledger's running totals: no commission row is listed.
    public func planPayout(_ request: PayoutRequest) throws(StoreError) -> PayoutPlan? {
        do {
            return try writer.read { db in
                let hold = try Self.holdDays(in: db)
                let lines = try Self.dueLines(request, holdDays: hold, in: db)
                guard !lines.isEmpty else { return nil }
                return PayoutPlan(asOf: request.asOf, holdDays: hold, lines: lines)
            }
        } catch {
            throw StoreError.wrap(error, "compute the payout")
        }
    }

    /// Records the payout of `request` (one admin event), or returns nil when nothing is due (nothing recorded).
    /// `id`: tests fix it; by default `po_<seconds>_<random hex>`.
    public func createPayout(_ request: PayoutRequest, now: Int64, id: String? = nil) throws(StoreError) -> Payout? {
        let id = id ?? "po_\(now)_\(String(UInt32.random(in: .min ... .max), radix: 16))"
        var planned: Payout?
        do {
            try recordAdminEvent(type: LocalEvent.payoutType, prefix: "payout", now: now) { db in
                guard let plan = try Self.plan(request, payoutId: id, in: db) else { throw AlreadyDone() }
                planned = plan
                return plan
            }
        } catch is AlreadyDone {
            return nil
        } catch {
            throw StoreError.wrap(error, "create the payout")
        }
        return planned
    }

    /// The payout with its items: the lines from the totals, then each line's
    /// rows through the partner index, which must add up to the line.
    static func plan(_ request: PayoutRequest, payoutId: String, in db: Database) throws -> Payout? {
        let hold = try holdDays(in: db)
        let lines = try dueLines(request, holdDays: hold, in: db)
        guard !lines.isEmpty else { return nil }
        let boundary = holdBoundary(request.asOf, holdDays: hold)
        var items: [Payout.Item] = []
        for planned in lines {
            let l = planned.line
            let rows = try db.all(
                """
                SELECT transaction_id, occurred_at, commission - paid FROM ledger_commissions
                WHERE partner_key = ? AND livemode = 1 AND currency = ? AND held = 0 AND commission <> paid
                  AND occurred_at <= ?
                ORDER BY occurred_at, transaction_id
                """, l.partnerKey, l.currency, boundary,
                as: { c in
                    Payout.Item(
                        transactionId: try c[0], partnerKey: l.partnerKey, currency: l.currency, amount: try c[2],
                        occurredAt: try c[1])
                })
            guard rows.count == planned.items, rows.reduce(0, { $0 + $1.amount }) == l.amount else {
                throw StoreError.failed(
                    "the ledger's totals for \(l.partnerKey) in \(l.currency) disagree with its rows; "
                        + "run 'attributiond events rebuild', then try again")
            }
            items += rows
        }
        return Payout(payoutId: payoutId, asOf: request.asOf, holdDays: hold, lines: lines.map(\.line), items: items)
    }

    /// `occurred_at` up to which commissions are past the hold as of `asOf`.
    private static func holdBoundary(_ asOf: Int64, holdDays: Int) -> String {
        Timestamp.iso(asOf - Int64(holdDays) * 86_400)
    }

    /// Per live-mode partner and currency, what is due as of the request and
    /// how many rows make it up, the lines that pass the minimums. Whole months
    /// before the boundary's month come from `ledger_totals`; only the
    /// boundary's month is read row by row (as the view `partner_balances` does).
    static func dueLines(_ request: PayoutRequest, holdDays: Int, in db: Database) throws -> [PayoutPlan.Line] {
        if let partner = request.partner,
            try db.one("SELECT 1 FROM partners WHERE partner_key = ?", partner, as: { _ in true }) == nil
        {
            throw StoreError.notFound("cannot pay partner \(partner): no such partner")
        }
        let boundary = holdBoundary(request.asOf, holdDays: holdDays)
        let month = String(boundary.prefix(7))
        // The bounds are bound values, and CROSS JOIN keeps SQLite's join order: given the
        // boundary through a CTE, it built an automatic index over every commission row instead
        // (1.3 s on 1,000,000 transactions for what reads one month).
        let due = try db.all(
            """
            WITH edge AS (
                SELECT l.partner_key, l.currency, l.commission - l.paid AS due, 1 AS items
                FROM transactions t CROSS JOIN ledger_commissions l
                WHERE t.occurred_at >= ?3 AND t.occurred_at <= ?1
                  AND l.transaction_id = t.transaction_id AND l.rule_event <> ''
                  AND l.livemode = 1 AND l.held = 0 AND l.commission <> l.paid AND (?2 IS NULL OR l.partner_key = ?2)
                UNION ALL
                SELECT l.partner_key, l.currency, l.commission - l.paid, 1
                FROM ledger_commissions l INDEXED BY ledger_commissions_unruled
                WHERE l.rule_event = '' AND l.occurred_at >= ?3 AND l.occurred_at <= ?1
                  AND l.livemode = 1 AND l.held = 0 AND l.commission <> l.paid AND (?2 IS NULL OR l.partner_key = ?2)
            ),
            parts AS (
                SELECT t.partner_key, t.currency, t.earned - t.held - t.paid + t.held_paid AS due, t.open_rows AS items
                FROM ledger_totals t
                WHERE t.livemode = 1 AND t.month < ?4 AND (?2 IS NULL OR t.partner_key = ?2)
                UNION ALL
                SELECT * FROM edge
            )
            SELECT partner_key, currency, sum(due), sum(items) FROM parts
            GROUP BY partner_key, currency HAVING sum(items) > 0
            ORDER BY partner_key, currency
            """, boundary, request.partner, month + "-01T00:00:00Z", month,
            as: { c in
                PayoutPlan.Line(
                    line: Payout.Line(partnerKey: try c[0], currency: try c[1], amount: try c[2]),
                    items: Int(try c[3] as Int64))
            })
        // A negative balance or one under the minimum is carried forward: no line, no items.
        return due.filter { $0.line.amount > 0 && $0.line.amount >= request.minimums[$0.line.currency] ?? 1 }
    }

    /// Every payout, newest first.
    public func payouts() throws(StoreError) -> [PayoutDetail] {
        do {
            return try writer.read { db in
                try Statements(db).strings("SELECT payout_id FROM payouts ORDER BY created_at DESC, payout_id DESC").compactMap {
                    try Self.payout($0, items: false, in: db)
                }
            }
        } catch {
            throw StoreError.wrap(error, "read the payouts")
        }
    }

    /// One payout with its lines (and items), or nil when there is no such payout.
    public func payout(_ id: String) throws(StoreError) -> PayoutDetail? {
        do {
            return try writer.read { db in try Self.payout(id, items: true, in: db) }
        } catch {
            throw StoreError.wrap(error, "read payout \(id)")
        }
    }

    static func payout(_ id: String, items withItems: Bool, in db: Database) throws -> PayoutDetail? {
        guard
            var p = try db.one(
                """
                SELECT payout_id, created_at, as_of, hold_days, status, paid_at, reference FROM payouts WHERE payout_id = ?
                """, id,
                as: { c in
                    PayoutDetail(
                        payoutId: try c[0], createdAt: try c[1], asOf: try c[2], holdDays: Int(try c[3] as Int64),
                        status: try c[4], paidAt: try c[5], reference: try c[6], lines: [], items: [])
                })
        else { return nil }
        p.lines = try db.all(
            """
            SELECT l.partner_key, pa.name, pa.email, l.currency, l.amount,
                   (SELECT count(*) FROM payout_items i WHERE i.payout_id = l.payout_id AND i.partner_key = l.partner_key
                      AND i.currency = l.currency)
            FROM payout_lines l LEFT JOIN partners pa ON pa.partner_key = l.partner_key
            WHERE l.payout_id = ? ORDER BY l.partner_key, l.currency
            """, id,
            as: { c in
                PayoutDetail.Line(
                    partnerKey: try c[0], name: try c[1], email: try c[2], currency: try c[3], amount: try c[4],
                    items: Int(try c[5] as Int64))
            })
        if withItems {
            p.items = try db.all(
                """
                SELECT transaction_id, partner_key, currency, amount, occurred_at FROM payout_items WHERE payout_id = ?
                ORDER BY partner_key, currency, occurred_at, transaction_id
                """, id,
                as: { c in
                    Payout.Item(
                        transactionId: try c[0], partnerKey: try c[1], currency: try c[2], amount: try c[3],
                        occurredAt: try c[4])
                })
        }
        return p
    }

    /// `payouts mark-paid`: refused (exit 1) for an unknown, voided or already paid payout.
    public func markPayoutPaid(_ id: String, reference: String?, now: Int64) throws(StoreError) {
        try recordMark(LocalEvent.PayoutMark(payoutId: id, kind: "paid", reference: reference), now: now) { status in
            switch status {
            case "voided": "cannot mark payout \(id) paid: it was voided"
            case "paid": "cannot mark payout \(id) paid: it is paid already"
            default: nil
            }
        }
    }

    /// `payouts void`: only a `created` payout; its items are released.
    public func voidPayout(_ id: String, now: Int64) throws(StoreError) {
        try recordMark(LocalEvent.PayoutMark(payoutId: id, kind: "voided"), now: now) { status in
            switch status {
            case "paid": "cannot void payout \(id): it was paid"
            case "voided": "cannot void payout \(id): it is voided already"
            default: nil
            }
        }
    }

    private func recordMark(
        _ mark: LocalEvent.PayoutMark, now: Int64,
        refusal: @escaping (String) -> String?
    ) throws(StoreError) {
        do {
            try recordAdminEvent(type: LocalEvent.payoutMarkType, prefix: "payout_mark", object: mark, now: now) { db in
                guard
                    let status = try db.one(
                        "SELECT status FROM payouts WHERE payout_id = ?", mark.payoutId,
                        as: { try $0[0] as String })
                else { throw StoreError.notFound("cannot find payout \(mark.payoutId): no such payout") }
                if let why = refusal(status) { throw StoreError.notFound(why) }
            }
        } catch {
            throw StoreError.wrap(error, "record the payout's \(mark.kind)")
        }
    }

    /// `partner_balances` for a mode, with partner names, by partner then currency.
    public func balances(mode: ReportMode) throws(StoreError) -> [Balance] {
        do {
            return try writer.read { db in
                try db.all(
                    """
                    SELECT b.partner_key, p.name, b.livemode, b.currency, b.earned, b.pending, b.held, b.paid, b.due
                    FROM partner_balances b LEFT JOIN partners p ON p.partner_key = b.partner_key
                    WHERE \(Self.modeCondition(mode, table: "b")) ORDER BY b.partner_key, b.livemode DESC, b.currency
                    """,
                    as: { c in
                        Balance(
                            partnerKey: try c[0], name: try c[1], livemode: try c[2], currency: try c[3], earned: try c[4],
                            pending: try c[5], held: try c[6], paid: try c[7], due: try c[8])
                    })
            }
        } catch {
            throw StoreError.wrap(error, "read the balances")
        }
    }
}
