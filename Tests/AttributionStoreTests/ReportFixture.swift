import AttributionCore
import AttributionStore
import Foundation

/// A small business's month, as Stripe would send it, applied through the
/// real worker path: three partners (one idle), a signup, a deleted customer,
/// USD, EUR, JPY (zero-decimal) and KWD (three decimals), a partial and a full
/// refund, test-mode rows, subscriptions, and reward rules at every level.
///
/// Expected commissions (live, all time), rule by rule:
/// - p_acme: ch_1 10 000 usd `pro` → p_acme+pro 15 % = 1 500; ch_2 5 000 − 500 usd
///   `basic` → product basic 5 % = 225; ch_8 4 005 usd → default 10 % = 400.5 → 401;
///   ch_3 1 500 jpy `pro` → 15 % = 225.
/// - p_beta: ch_4 2 000 eur `pro` → p_beta+pro flat 3.00 EUR = 300; ch_5 3 333 usd
///   `basic` → p_beta 20 % (beats product basic) = 666.6 → 667; ch_10 12 345 kwd `pro`
///   → the EUR flat rule does not cover KWD, so p_beta 20 % = 2 469.
/// - unattributed: ch_6 7 000 usd → no commission.
enum ReportFixture {
    static let oct1: Int64 = 1_790_812_800  // 2026-10-01T00:00:00Z
    static let nov1: Int64 = 1_793_491_200  // 2026-11-01T00:00:00Z
    static let day: Int64 = 86_400
    static let now: Int64 = nov1 + 30 * day  // 2026-12-01T00:00:00Z

    /// A temp-file database holding the fixture; the caller deletes `directory`.
    static func makeDatabase() async throws -> (database: AppDatabase, directory: URL) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("attributiond-report-\(UUID().uuidString)")
        let db = try AppDatabase.open(path: dir.appendingPathComponent("attribution.sqlite").path)
        try await fill(db)
        return (db, dir)
    }

    static func fill(_ db: AppDatabase) async throws {
        let settings = ApplySettings()
        try await db.recordPartner(key: "p_acme", name: "Acme", email: "partners@acme.example", settings: settings, now: oct1)
        try await db.recordPartner(key: "p_idle", name: "Idle Partners Ltd", email: nil, settings: settings, now: oct1)
        _ = try await db.recordSignup(
            LocalEvent.Signup(
                customerKey: "bob@example.com", partnerKey: "p_beta",
                email: "bob@example.com", name: "Bob"),
            settings: settings, now: oct1 + day)
        let events = [
            customer("cus_A1", key: "alice@example.com", partner: "p_acme", at: oct1 + 2 * day),
            customer("cus_B1", key: "bob@example.com", partner: nil, at: oct1 + 3 * day),
            customer("cus_C1", key: "carol@example.com", partner: nil, at: oct1 + 4 * day),
            customer("cus_D1", key: "dave@example.com", partner: "p_acme", at: oct1 + 5 * day),
            customer("cus_D1", key: "dave@example.com", partner: "p_acme", at: oct1 + 6 * day, type: "customer.deleted"),
            customer("cus_T1", key: "tess@example.com", partner: "p_acme", at: oct1 + 7 * day, livemode: false),
            charge("ch_8", customer: "cus_A1", amount: 4005, currency: "usd", product: nil, at: oct1 + 14 * day),
            charge("ch_1", customer: "cus_A1", amount: 10000, currency: "usd", product: "pro", at: nov1 + 2 * day),
            charge("ch_2", customer: "cus_A1", amount: 5000, currency: "usd", product: "basic", at: nov1 + 3 * day),
            charge(
                "ch_2", customer: "cus_A1", amount: 5000, currency: "usd", product: "basic", at: nov1 + 3 * day,
                refunded: 500, type: "charge.refunded", eventAt: nov1 + 9 * day),
            charge("ch_3", customer: "cus_A1", amount: 1500, currency: "jpy", product: "pro", at: nov1 + 4 * day),
            charge("ch_9", customer: "cus_A1", amount: 2500, currency: "usd", product: "pro", at: nov1 + 5 * day),
            charge(
                "ch_9", customer: "cus_A1", amount: 2500, currency: "usd", product: "pro", at: nov1 + 5 * day,
                refunded: 2500, type: "charge.refunded", eventAt: nov1 + 6 * day),
            charge("ch_4", customer: "cus_B1", amount: 2000, currency: "eur", product: "pro", at: nov1 + 6 * day),
            charge("ch_5", customer: "cus_B1", amount: 3333, currency: "usd", product: "basic", at: nov1 + 7 * day),
            charge("ch_10", customer: "cus_B1", amount: 12345, currency: "kwd", product: "pro", at: nov1 + 8 * day),
            charge("ch_6", customer: "cus_C1", amount: 7000, currency: "usd", product: nil, at: nov1 + 10 * day),
            charge(
                "ch_7", customer: "cus_T1", amount: 999, currency: "usd", product: "pro", at: nov1 + 11 * day,
                livemode: false),
            subscription("sub_1", customer: "cus_A1", status: "active", at: nov1 + 2 * day),
            subscription("sub_2", customer: "cus_B1", status: "trialing", at: nov1 + 6 * day),
            subscription("sub_3", customer: "cus_B1", status: "canceled", at: nov1 + 7 * day),
            subscription("sub_4", customer: "cus_C1", status: "active", at: nov1 + 10 * day),
        ]
        // Arrival order reversed on purpose: the result must not depend on it.
        _ = try await db.insert(events.reversed(), receivedAt: now)
        let result = try await db.applyDue(limit: 1000, settings: settings, now: now)
        precondition(result.failed.isEmpty, "fixture events failed: \(result.failed)")

        try db.setRewardRule(RewardRule(reward: .percent(bps: 1000)))
        try db.setRewardRule(RewardRule(productKey: "basic", reward: .percent(bps: 500)))
        try db.setRewardRule(RewardRule(partnerKey: "p_beta", reward: .percent(bps: 2000)))
        try db.setRewardRule(RewardRule(partnerKey: "p_beta", productKey: "pro", reward: .flat(amount: 300, currency: "eur")))
        try db.setRewardRule(RewardRule(partnerKey: "p_acme", productKey: "pro", reward: .percent(bps: 1500)))
    }

    static func event(_ id: String, _ type: String, at created: Int64, livemode: Bool, object: String) -> NewInboxEvent {
        let json = """
            {"id":"\(id)","object":"event","api_version":"2025-03-31.basil","type":"\(type)","created":\(created),\
            "livemode":\(livemode),"data":{"object":\(object)}}
            """
        return NewInboxEvent(event: try! StripeEvent.decode(Array(json.utf8)), payload: json)
    }

    static func customer(
        _ id: String, key: String, partner: String?, at: Int64, livemode: Bool = true,
        type: String = "customer.created"
    ) -> NewInboxEvent {
        let partnerJSON = partner.map { #","partner_key":"\#($0)""# } ?? ""
        return event(
            "evt_\(id)_\(type)", type, at: at, livemode: livemode,
            object: """
                {"id":"\(id)","object":"customer","created":\(at),"email":"\(key)","name":null,"livemode":\(livemode),\
                "metadata":{"customer_key":"\(key)"\(partnerJSON)}\(type == "customer.deleted" ? #","deleted":true"# : "")}
                """)
    }

    static func charge(
        _ id: String, customer: String, amount: Int64, currency: String, product: String?, at: Int64,
        refunded: Int64 = 0, livemode: Bool = true, type: String = "charge.succeeded",
        eventAt: Int64? = nil
    ) -> NewInboxEvent {
        let productJSON = product.map { #"{"product_key":"\#($0)"}"# } ?? "{}"
        return event(
            "evt_\(id)_\(type)", type, at: eventAt ?? at, livemode: livemode,
            object: """
                {"id":"\(id)","object":"charge","amount":\(amount),"amount_captured":\(amount),\
                "amount_refunded":\(refunded),"captured":true,"created":\(at),"currency":"\(currency)",\
                "customer":"\(customer)","livemode":\(livemode),"metadata":\(productJSON),"paid":true,\
                "refunded":\(refunded >= amount),"status":"succeeded"}
                """)
    }

    static func subscription(_ id: String, customer: String, status: String, at: Int64) -> NewInboxEvent {
        event(
            "evt_\(id)", "customer.subscription.created", at: at, livemode: true,
            object: """
                {"id":"\(id)","object":"subscription","customer":"\(customer)","status":"\(status)","created":\(at),\
                "cancel_at_period_end":false,"livemode":true,"items":{"object":"list","data":[{"id":"si_\(id)",\
                "quantity":1,"current_period_end":\(at + 30 * day),"price":{"id":"price_pro","product":"prod_pro",\
                "unit_amount":2900,"currency":"usd","recurring":{"interval":"month"}}}]}}
                """)
    }
}
