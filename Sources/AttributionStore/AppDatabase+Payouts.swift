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

    /// The payout `request` would record now, or nil when nothing is due.
    public func planPayout(_ request: PayoutRequest, payoutId: String = "po_dry_run") throws(StoreError) -> Payout? {
        do {
            return try writer.read { db in try Self.plan(request, payoutId: payoutId, in: db) }
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

    static func plan(_ request: PayoutRequest, payoutId: String, in db: Database) throws -> Payout? {
        if let partner = request.partner,
            try db.one("SELECT 1 FROM partners WHERE partner_key = ?", partner, as: { _ in true }) == nil
        {
            throw StoreError.notFound("cannot pay partner \(partner): no such partner")
        }
        let rows = try db.all(
            """
            SELECT transaction_id, partner_key, currency, occurred_at, commission - paid FROM ledger_rows
            WHERE livemode = 1 AND held = 0 AND commission <> paid AND (?2 IS NULL OR partner_key = ?2)
              AND occurred_at <= (SELECT strftime('%Y-%m-%dT%H:%M:%SZ', ?1, '-' || days || ' days') FROM ledger_hold)
            ORDER BY partner_key, currency, occurred_at, transaction_id
            """, Timestamp.iso(request.asOf), request.partner,
            as: { c in
                Payout.Item(
                    transactionId: try c[0], partnerKey: try c[1], currency: try c[2], amount: try c[4],
                    occurredAt: try c[3])
            })
        var lines: [Payout.Line] = []
        var items: [Payout.Item] = []
        var start = 0
        while start < rows.count {
            var end = start
            while end < rows.count, rows[end].partnerKey == rows[start].partnerKey, rows[end].currency == rows[start].currency {
                end += 1
            }
            let group = rows[start..<end]
            let due = group.reduce(0) { $0 + $1.amount }
            // A negative balance or one under the minimum is carried forward: no line, no items.
            if due > 0, due >= request.minimums[group.first!.currency] ?? 1 {
                lines.append(Payout.Line(partnerKey: group.first!.partnerKey, currency: group.first!.currency, amount: due))
                items += group
            }
            start = end
        }
        guard !lines.isEmpty else { return nil }
        return Payout(payoutId: payoutId, asOf: request.asOf, holdDays: try holdDays(in: db), lines: lines, items: items)
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
