import AttributionCore
import AttributionStore
import AttributionTestSupport
import Foundation

/// A small live-mode business for the ledger's tests: partner p_acme, its
/// customer cus_1, and helpers that deliver charges and read commissions.
/// Times are in 2026, long past any hold period by the real clock.
struct LedgerFixture {
    typealias E = EventFactory
    static let jan1: Int64 = 1_767_225_600  // 2026-01-01T00:00:00Z
    static let day: Int64 = 86_400
    let db: AppDatabase

    static func make(partnerEmail: String? = "acme@partners.example", customerEmail: String? = "ann@example.com")
        async throws -> LedgerFixture
    {
        let db = try AppDatabase.makeEmpty()
        try await db.recordPartner(key: "p_acme", name: "Acme", email: partnerEmail, settings: ApplySettings(), now: jan1)
        let fixture = LedgerFixture(db: db)
        try await fixture.deliver(
            E.customer(
                event: "evt_cus_1", created: Int(jan1), id: "cus_1", key: "ann",
                partner: "p_acme", email: customerEmail))
        return fixture
    }

    func deliver(_ payloads: String...) async throws {
        try await db.deliver(payloads)
        try await db.applyAll()
    }

    /// A paid charge of cus_1 (or `customer`) at `at`; `refunded` with a later `charge.refunded`.
    func charge(
        _ id: String, _ amount: Int, at: Int64, customer: String = "cus_1", refunded: Int = 0,
        refundAt: Int64? = nil, product: String? = nil, currency: String = "usd"
    ) async throws {
        try await deliver(
            E.charge(
                event: "evt_\(id)", created: Int(at), id: id, amount: amount, currency: currency,
                customer: customer, product: product))
        if refunded > 0 { try await refund(id, amount, refunded: refunded, at: at, refundAt: refundAt ?? at + 1) }
    }

    func refund(_ id: String, _ amount: Int, refunded: Int, at: Int64, refundAt: Int64) async throws {
        try await deliver(
            E.charge(
                event: "evt_\(id)_refund_\(refundAt)", type: "charge.refunded", created: Int(at), id: id,
                amount: amount, refunded: refunded, customer: "cus_1"))
    }

    /// The commission `commissions` lists for a transaction (nil: not listed).
    func commission(_ id: String) throws -> Int64? {
        try db.row("SELECT commission FROM commissions WHERE transaction_id = ?", [id]).flatMap { Int64($0["commission"]!) }
    }

    func status(_ id: String) throws -> String? {
        try db.row("SELECT status FROM commissions WHERE transaction_id = ?", [id])?["status"]
    }

    func paid(_ id: String) throws -> Int64? {
        try db.row("SELECT paid FROM commissions WHERE transaction_id = ?", [id]).flatMap { Int64($0["paid"]!) }
    }

    func due(_ partner: String = "p_acme", _ currency: String = "usd") throws -> Int64? {
        try db.row(
            "SELECT due FROM partner_balances WHERE partner_key = ? AND currency = ? AND livemode = 1",
            [partner, currency]
        ).flatMap { Int64($0["due"]!) }
    }

    func rule(
        _ reward: RewardRule.Reward?, partner: String? = nil, product: String? = nil, from: Int64? = nil,
        months: Int? = nil, payments: Int? = nil, now: Int64 = jan1
    ) throws {
        try db.recordRuleChange(
            partnerKey: partner, productKey: product, reward: reward, from: from, maxMonths: months,
            maxPayments: payments, now: now)
    }

    func pay(asOf: Int64, minimums: [String: Int64] = [:]) throws -> Payout? {
        try db.createPayout(AppDatabase.PayoutRequest(asOf: asOf, minimums: minimums), now: asOf)
    }
}
