import AttributionCore
import AttributionStore
import AttributionTestSupport
import Foundation
import Testing

/// The ledger's running totals (migration 0016): balances and the payout dry
/// run read whole months from `ledger_totals` and only the hold boundary's
/// month row by row. These tests place transactions around the real clock's
/// boundary, so the month split is exercised, and compare both reads with a
/// plain pass over every row.
@Suite("Ledger running totals")
struct LedgerTotalsTests {
    typealias E = EventFactory
    static let day: Int64 = 86_400
    let now = Int64(Date().timeIntervalSince1970)

    /// Two partners, charges twice a day in two currencies from 130 days ago to 5 days ahead,
    /// refunds before and after a payout, a voided payout and a held self-referral.
    func business() async throws -> AppDatabase {
        let db = try AppDatabase.makeEmpty()
        let start = now - 130 * Self.day
        let settings = ApplySettings()
        try await db.recordPartner(key: "p_acme", name: "Acme", email: "acme@partners.example", settings: settings, now: start)
        try await db.recordPartner(key: "p_beta", name: "Beta", email: "beta@partners.example", settings: settings, now: start)
        try await db.deliver([
            E.customer(event: "evt_c1", created: Int(start), id: "cus_1", key: "ann", partner: "p_acme", email: "ann@example.com"),
            E.customer(event: "evt_c2", created: Int(start), id: "cus_2", key: "bob", partner: "p_beta", email: "bob@example.com"),
            // Its partner's own email: held until approved.
            E.customer(
                event: "evt_c3", created: Int(start), id: "cus_3", key: "self", partner: "p_beta",
                email: "beta@partners.example"),
        ])
        _ = try db.recordRuleChange(partnerKey: nil, productKey: nil, reward: .percent(bps: 1000), from: 0, now: start)
        var payloads: [String] = []
        for i in 0..<270 {
            let at = start + Int64(i) * Self.day / 2
            let customer = ["cus_1", "cus_2", "cus_3"][i % 3]
            payloads.append(
                E.charge(
                    event: "evt_ch_\(i)", created: Int(at), id: "ch_\(i)", amount: 1_000 + 7 * i,
                    currency: i % 4 == 0 ? "eur" : "usd", customer: customer))
        }
        try await db.deliver(payloads)
        try await db.applyAll()
        // Refunds before any payout.
        try await refund(db, 3, 1_000 + 21, refunded: 500, at: start + 3 * Self.day / 2)
        _ = try db.createPayout(AppDatabase.PayoutRequest(asOf: now - 60 * Self.day), now: now - 60 * Self.day, id: "po_1")
        // After the payout: a partial and a full refund of paid charges (clawbacks), then a payout that nets them.
        try await refund(db, 6, 1_000 + 42, refunded: 300, at: start + 3 * Self.day)
        try await refund(db, 9, 1_000 + 63, refunded: 1_000 + 63, at: start + 9 * Self.day / 2)
        _ = try db.createPayout(AppDatabase.PayoutRequest(asOf: now - 40 * Self.day), now: now - 40 * Self.day, id: "po_2")
        _ = try db.createPayout(AppDatabase.PayoutRequest(asOf: now - 20 * Self.day), now: now - 20 * Self.day, id: "po_3")
        try db.voidPayout("po_3", now: now - 19 * Self.day)
        // A clawback no payout has netted yet.
        try await refund(db, 12, 1_000 + 84, refunded: 600, at: start + 6 * Self.day)
        return db
    }

    func refund(_ db: AppDatabase, _ i: Int, _ amount: Int, refunded: Int, at: Int64) async throws {
        try await db.deliver([
            E.charge(
                event: "evt_ch_\(i)_refund", type: "charge.refunded", created: Int(at), id: "ch_\(i)", amount: amount,
                refunded: refunded, currency: i % 4 == 0 ? "eur" : "usd", customer: ["cus_1", "cus_2", "cus_3"][i % 3])
        ])
        try await db.applyAll()
    }

    /// What a payout as of `asOf` pays per partner and currency, from every row.
    func dueFromRows(_ db: AppDatabase, asOf: Int64) throws -> [String] {
        let boundary = Timestamp.iso(asOf - Int64(try db.holdDays()) * Self.day)
        return try db.column(
            """
            SELECT partner_key || ' ' || currency || ' ' || sum(commission - paid) || ' ' || count(*) FROM ledger_rows
            WHERE livemode = 1 AND held = 0 AND commission <> paid AND occurred_at <= ?
            GROUP BY partner_key, currency HAVING sum(commission - paid) > 0 ORDER BY partner_key, currency
            """, [boundary]
        ).compactMap { $0 }
    }

    func dryRun(_ db: AppDatabase, asOf: Int64) throws -> [String] {
        try db.planPayout(AppDatabase.PayoutRequest(asOf: asOf))?.lines.map {
            "\($0.line.partnerKey) \($0.line.currency) \($0.line.amount) \($0.items)"
        } ?? []
    }

    @Test("balances equal every row compared with the boundary, whatever month the hold puts it in")
    func balancesAcrossHolds() async throws {
        let db = try await business()
        let clawbacks = try db.count("commissions", where: "status = 'clawback'")
        #expect(clawbacks >= 1, "the business has a clawback to net")
        #expect(try db.count("commissions", where: "status = 'held'") > 0)
        #expect(try db.count("commissions", where: "status = 'pending'") > 0)
        for hold in [0, 3, 17, 30, 45, 75, 200] {
            _ = try db.recordHold(days: hold, now: now)
            // Throws, naming the rows, when the view or the totals differ from the rows.
            try db.checkLedgerTotals()
            #expect(try db.count("partner_balances") == 4, "two partners in two currencies (hold \(hold))")
        }
    }

    @Test("the dry run's lines and item counts equal a pass over every row, and the payout it records")
    func dryRunEqualsRows() async throws {
        let db = try await business()
        for asOf in stride(from: now - 130 * Self.day, through: now, by: Int(11 * Self.day)) {
            #expect(try dryRun(db, asOf: asOf) == dueFromRows(db, asOf: asOf), "as of \(Timestamp.iso(asOf))")
        }
        let expected = try dryRun(db, asOf: now)
        #expect(!expected.isEmpty)
        let payout = try #require(try db.createPayout(AppDatabase.PayoutRequest(asOf: now), now: now, id: "po_now"))
        #expect(
            payout.plan.lines.map { "\($0.line.partnerKey) \($0.line.currency) \($0.line.amount) \($0.items)" } == expected)
        #expect(try dryRun(db, asOf: now).isEmpty, "nothing is due right after the payout")
        try db.checkLedgerTotals()
    }

    @Test("a payout for one partner with a minimum lists only the lines that pass it")
    func partnerAndMinimum() async throws {
        let db = try await business()
        let all = try dueFromRows(db, asOf: now).filter { $0.hasPrefix("p_acme ") }
        let plan = try #require(try db.planPayout(AppDatabase.PayoutRequest(asOf: now, partner: "p_acme")))
        #expect(plan.lines.map { "\($0.line.partnerKey) \($0.line.currency) \($0.line.amount) \($0.items)" } == all)
        let usd = try #require(plan.lines.first { $0.line.currency == "usd" }).line.amount
        let high = try db.planPayout(AppDatabase.PayoutRequest(asOf: now, partner: "p_acme", minimums: ["usd": usd + 1]))
        #expect(high?.lines.map(\.line.currency) == plan.lines.map(\.line.currency).filter { $0 != "usd" })
    }

    @Test("totals stay equal to the rows through a rule change from the past, a rebuild and an approval")
    func totalsThroughReDerivation() async throws {
        let db = try await business()
        _ = try db.recordRuleChange(
            partnerKey: "p_beta", productKey: nil, reward: .percent(bps: 2500), from: now - 50 * Self.day, now: now)
        try db.checkLedgerTotals()
        let before = try db.domainDump()
        _ = try db.rebuild(settings: ApplySettings(), now: now)
        #expect(try db.domainDump() == before)
        _ = try db.approveCustomer("self", now: now)
        try db.checkLedgerTotals()
        #expect(try db.count("commissions", where: "status = 'held'") == 0)
    }
}
