import AttributionCore
import AttributionStore
import AttributionTestSupport
import Foundation
import Testing

/// docs/events.md's promise, as a property: the tables depend only on the set of distinct
/// events — not on arrival order, batching, or duplicates — and `events rebuild`
/// gives them again.
@Suite("Order independence (property)")
struct OrderIndependenceTests {
    @Test(
        "every delivery order of generated populations gives the same tables (charge mode)",
        arguments: [(seed: UInt64(1), orders: 70), (seed: 2, orders: 70), (seed: 3, orders: 70)])
    func chargeMode(seed: UInt64, orders: Int) async throws {
        try await check(seed: seed, orders: orders, settings: ApplySettings())
    }

    @Test(
        "invoice mode and PartnerStack refunds are order-independent too",
        arguments: [(seed: UInt64(11), orders: 40)])
    func invoiceMode(seed: UInt64, orders: Int) async throws {
        try await check(
            seed: seed, orders: orders,
            settings: ApplySettings(transactionSource: .invoice, partialRefunds: .delete))
    }

    func check(seed: UInt64, orders: Int, settings: ApplySettings) async throws {
        var rng = SplitMix64(seed: seed)
        let events = Population.generate(using: &rng)
        let reference = try await state(of: events, settings: settings, rng: &rng, shuffle: false)
        #expect(
            !(reference["transactions"] ?? []).isEmpty && !(reference["customers"] ?? []).isEmpty,
            "the population must produce rows, or the property proves nothing")
        for order in 0..<orders {
            let got = try await state(of: events, settings: settings, rng: &rng, shuffle: true)
            guard got == reference else {
                for (table, rows) in reference where got[table] != rows {
                    Issue.record("seed \(seed) order \(order): \(table) differs\nwant \(rows)\ngot  \(got[table] ?? [])")
                }
                return
            }
        }
    }

    /// Delivers `events` (shuffled, with duplicates, applied in random chunks), then
    /// checks that a rebuild gives the same state and returns it.
    func state(of events: [String], settings: ApplySettings, rng: inout SplitMix64, shuffle: Bool) async throws -> [String: [String]] {
        let db = try AppDatabase.makeEmpty()
        var deliveries = events
        if shuffle {
            deliveries += (0..<Int.random(in: 0...events.count / 2, using: &rng)).map { _ in events.randomElement(using: &rng)! }
            deliveries.shuffle(using: &rng)
        }
        var index = 0
        while index < deliveries.count {
            let chunk = Int.random(in: 1...8, using: &rng)
            try await db.deliver(Array(deliveries[index..<min(index + chunk, deliveries.count)]))
            try await db.applyAll(settings: settings, batch: Int.random(in: 1...5, using: &rng))
            index += chunk
        }
        let incremental = try db.domainDump()
        #expect(try db.count("inbox_events", where: "status NOT IN ('applied', 'ignored')") == 0)
        try db.rebuild(settings: settings, now: 1_800_000_000)
        let rebuilt = try db.domainDump()
        #expect(rebuilt == incremental, "rebuild must equal incremental application")
        return incremental
    }
}

/// Generated customers with charges, refunds, failures, subscriptions, invoices and signups.
enum Population {
    typealias E = EventFactory

    static func generate(using rng: inout SplitMix64) -> [String] {
        var events: [String] = []
        var n = 0
        func id(_ prefix: String) -> String {
            n += 1
            return "\(prefix)_\(n)"
        }
        let partners = ["p_acme", "p_beta", "p_gamma"]
        for c in 0..<6 {
            let cus = "cus_\(c)"
            let key = "cust\(c)@example.com"
            let t = 1_000 + c * 10
            let partner: String? = Bool.random(using: &rng) ? partners.randomElement(using: &rng) : nil
            if c % 3 == 0 {
                events.append(
                    try! LocalEvent.envelope(
                        id: "signup_\(key)", type: LocalEvent.signupType, created: Int64(t - 5),
                        object: LocalEvent.Signup(customerKey: key, partnerKey: partners[c % 3])))
            }
            events.append(
                E.customer(
                    event: id("evt"), created: t, id: cus, key: c == 4 ? nil : key, partner: partner,
                    email: "first\(c)@x", livemode: c != 5))
            // An update in the same second, with another partner key (first wins) and email.
            events.append(
                E.customer(
                    event: id("evt"), type: "customer.updated", created: t, id: cus,
                    key: c == 4 ? nil : key, partner: partners.randomElement(using: &rng), email: "second\(c)@x",
                    livemode: c != 5))
            if c == 2 {
                events.append(E.customer(event: id("evt"), type: "customer.deleted", created: t + 50, id: cus, key: key))
            }
            for k in 0..<Int.random(in: 1...3, using: &rng) {
                events += charge(
                    id: "ch_\(c)_\(k)", customer: cus, key: k == 0 && c == 1 ? key : nil, at: t + 5 + k,
                    partner: Bool.random(using: &rng) ? partners.randomElement(using: &rng) : nil,
                    rng: &rng, id: { id("evt") })
            }
            // A dispute of its first charge, sometimes before the charge exists: opened, then maybe won or lost.
            if Bool.random(using: &rng) {
                let dispute = "dp_\(c)"
                let amount = [300, 500, 20_000].randomElement(using: &rng)!
                events.append(
                    try! DisputeTests.dispute(
                        event: id("evt"), type: "charge.dispute.created", created: t + 6,
                        id: dispute, charge: "ch_\(c)_0", amount: amount,
                        status: "needs_response"))
                if let end = ["won", "lost", nil].randomElement(using: &rng)!.map({ $0 }) {
                    events.append(
                        try! DisputeTests.dispute(
                            event: id("evt"), type: "charge.dispute.closed", created: t + 6,
                            id: dispute, charge: "ch_\(c)_0", amount: amount, status: end))
                }
            }
            let sub = "sub_\(c)"
            events.append(E.subscription(event: id("evt"), created: t + 1, id: sub, customer: cus, status: "trialing"))
            events.append(
                E.subscription(
                    event: id("evt"), type: "customer.subscription.updated", created: t + 1, id: sub,
                    customer: cus, status: "active", quantity: 2))
            if Bool.random(using: &rng) {
                events.append(
                    E.subscription(
                        event: id("evt"), type: "customer.subscription.deleted", created: t + 9,
                        id: sub, customer: cus, status: "canceled"))
            }
            // An invoice paid by a charge, linked the 2025+ way.
            let inv = "in_\(c)"
            let pi = "pi_\(c)"
            events.append(
                E.invoice(
                    event: id("evt"), created: t + 3, id: inv, amountPaid: 1500, customer: cus,
                    subscriptionMetadata: ["product_key": "plan"]))
            events.append(
                E.charge(
                    event: id("evt"), created: t + 3, id: "ch_inv_\(c)", amount: 1500, customer: cus,
                    paymentIntent: pi))
            events.append(E.invoicePayment(event: id("evt"), created: t + 3, invoice: inv, paymentIntent: pi))
        }
        // Promotion codes: one with a partner in its metadata that later changes hands, one mapped by
        // an administrator, one never seen; discounts and Checkout sessions that use them.
        events.append(
            PromotionCodeTests.promotionCode(
                event: id("evt"), created: 900, id: "promo_meta", code: "META",
                partner: "p_beta"))
        if Bool.random(using: &rng) {
            events.append(
                PromotionCodeTests.promotionCode(
                    event: id("evt"), type: "promotion_code.updated", created: 1_500,
                    id: "promo_meta", code: "META", partner: "p_gamma"))
        }
        events.append(PromotionCodeTests.promotionCode(event: id("evt"), created: 900, id: "promo_mapped", code: "MAPPED"))
        events.append(
            try! LocalEvent.envelope(
                id: "partner_p_acme_mapping", type: LocalEvent.partnerType, created: 950,
                object: LocalEvent.PartnerProfile(partnerKey: "p_acme", promotionCodes: ["MAPPED"])))
        for c in 0..<6 where Bool.random(using: &rng) {
            let code = ["promo_meta", "promo_mapped", "promo_never"].randomElement(using: &rng)!
            events.append(
                PromotionCodeTests.discount(
                    event: id("evt"), created: 1_000 + c * 10 + Int.random(in: -8...8, using: &rng),
                    customer: "cus_\(c)", promotionCode: code))
        }
        for c in [1, 4] where Bool.random(using: &rng) {
            let reference = Bool.random(using: &rng) ? CheckoutSessionTests.gspk(partners.randomElement(using: &rng)!) : nil
            events.append(
                try! CheckoutSessionTests.session(
                    event: id("evt"), created: 1_000 + c * 10 + 2, customer: "cus_\(c)",
                    reference: reference))
        }
        // Anonymous charges that carry their own keys.
        events += charge(id: "ch_anon_1", customer: nil, key: nil, at: 2_000, partner: "p_beta", rng: &rng, id: { id("evt") })
        events += charge(
            id: "ch_newkey", customer: nil, key: "walkin@example.com", at: 2_001, partner: "p_gamma",
            rng: &rng, id: { id("evt") })
        events += ledgerEvents(using: &rng)
        return events
    }

    /// Admin events of the commission ledger (docs/ledger.md): rules in time with limits and an end,
    /// the hold period, a partner email that makes a customer a self-referral and maybe its
    /// approval, and payouts, one paid and one voided, whatever order they arrive in.
    static func ledgerEvents(using rng: inout SplitMix64) -> [String] {
        func admin(_ id: String, _ type: String, _ created: Int64, _ object: some Encodable) -> String {
            try! LocalEvent.envelope(id: id, type: type, created: created, object: object)
        }
        typealias Rule = LocalEvent.RuleChange
        var events = [
            admin(
                "reward_0_a", LocalEvent.rewardRuleType, 0,
                Rule(partnerKey: nil, productKey: nil, reward: .percent(bps: 1000), effectiveFrom: 0)),
            admin(
                "reward_1001_b", LocalEvent.rewardRuleType, 1001,
                Rule(
                    partnerKey: "p_acme", productKey: nil, reward: .percent(bps: 2000), effectiveFrom: 1015,
                    maxPayments: 2)),
            admin(
                "reward_1002_c", LocalEvent.rewardRuleType, 1002,
                Rule(
                    partnerKey: nil, productKey: "pro", reward: .flat(amount: 300, currency: "usd"), effectiveFrom: 0,
                    maxMonths: 1)),
            admin(
                "reward_1003_d", LocalEvent.rewardRuleType, 1003,
                Rule(partnerKey: "p_beta", productKey: nil, reward: nil, effectiveFrom: 1030)),
            // Same effective_from and recorded_at as b: the greater id decides.
            admin(
                "reward_1001_e", LocalEvent.rewardRuleType, 1001,
                Rule(partnerKey: "p_acme", productKey: nil, reward: .percent(bps: 2500), effectiveFrom: 1015)),
            admin("hold_1004", LocalEvent.rewardHoldType, 1004, LocalEvent.RewardHold(days: 7)),
            admin(
                "partner_p_acme_email", LocalEvent.partnerType, 1005,
                LocalEvent.PartnerProfile(partnerKey: "p_acme", name: "Acme", email: " SECOND3@x")),
        ]
        if Bool.random(using: &rng) {
            events.append(
                admin(
                    "approval_1006", LocalEvent.approvalType, 1006,
                    LocalEvent.Approval(customerKey: "cust3@example.com")))
        }
        let items = [
            Payout.Item(
                transactionId: "ch_0_0", partnerKey: "p_acme", currency: "usd", amount: 150,
                occurredAt: "1970-01-01T00:16:45Z"),
            Payout.Item(
                transactionId: "ch_gone", partnerKey: "p_beta", currency: "eur", amount: 99,
                occurredAt: "1970-01-01T00:16:46Z"),
        ]
        for (n, mark) in ["paid", "voided"].enumerated() {
            let id = "po_test_\(n)"
            events.append(
                admin(
                    "payout_1010_\(n)", LocalEvent.payoutType, 1010,
                    Payout(
                        payoutId: id, asOf: 1009, holdDays: 7,
                        lines: [
                            Payout.Line(partnerKey: "p_acme", currency: "usd", amount: 150),
                            Payout.Line(partnerKey: "p_beta", currency: "eur", amount: 99),
                        ],
                        items: items)))
            events.append(
                admin(
                    "payout_mark_1011_\(n)", LocalEvent.payoutMarkType, 1011,
                    LocalEvent.PayoutMark(payoutId: id, kind: mark, reference: "ref \(n)")))
        }
        return events
    }

    /// A charge's life: paid (maybe captured later), maybe partly or fully refunded, or failed.
    static func charge(
        id chargeId: String, customer: String?, key: String?, at t: Int, partner: String?,
        rng: inout SplitMix64, id: () -> String
    ) -> [String] {
        let amount = [500, 1000, 2500, 9900].randomElement(using: &rng)!
        let currency = ["usd", "eur", "jpy"].randomElement(using: &rng)!
        func make(_ type: String, at: Int, refunded: Int = 0, status: String = "succeeded", captured: Bool = true) -> String {
            E.charge(
                event: id(), type: type, created: at, id: chargeId, amount: amount, refunded: refunded,
                currency: currency, customer: customer, status: status, key: key, partner: partner,
                product: "pro", captured: captured)
        }
        switch Int.random(in: 0..<6, using: &rng) {
        case 0: return [make("charge.succeeded", at: t)]
        case 1: return [make("charge.succeeded", at: t, captured: false), make("charge.captured", at: t + 1)]
        case 2: return [make("charge.succeeded", at: t), make("charge.refunded", at: t + 2, refunded: amount / 4)]
        case 3:
            return [
                make("charge.succeeded", at: t), make("charge.refunded", at: t + 2, refunded: amount / 4),
                make("charge.refunded", at: t + 3, refunded: amount),
            ]
        case 4: return [make("charge.failed", at: t, status: "failed")]
        default: return [make("charge.succeeded", at: t), make("charge.updated", at: t)]
        }
    }
}

/// A small seeded generator, so a failing order can be replayed from its seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
