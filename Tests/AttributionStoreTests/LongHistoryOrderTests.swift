import AttributionCore
import AttributionStore
import AttributionTestSupport
import Foundation
import Testing

/// The order-independence promise where history is long: a customer with
/// hundreds of charges, a partner with thousands of customers, and keys that
/// move from one Stripe customer to another. Identities are re-derived from
/// running merges rather than from all their history, so these check both
/// that the merges agree whatever the order and that they give the rows the
/// rules ask for (earliest partner, first and last times, the link by priority).
@Suite("Order independence with long histories (property)")
struct LongHistoryOrderTests {
    typealias E = EventFactory

    @Test(
        "long histories give the same tables in every delivery order, and the rows the rules ask for",
        arguments: [UInt64(21), 22])
    func longHistories(seed: UInt64) async throws {
        var rng = SplitMix64(seed: seed)
        let population = LongHistory.generate(using: &rng)
        let reference = try await state(of: population.events, rng: &rng, shuffle: false)
        for order in 0..<3 {
            let got = try await state(of: population.events, rng: &rng, shuffle: true)
            for (table, rows) in reference where got[table] != rows {
                Issue.record("seed \(seed) order \(order): \(table) differs (\(rows.count) against \(got[table]?.count ?? 0) rows)")
            }
        }
        try population.checkRows(reference)
    }

    private func state(of events: [String], rng: inout SplitMix64, shuffle: Bool) async throws -> [String: [String]] {
        let db = try AppDatabase.makeEmpty()
        var deliveries = events
        if shuffle {
            deliveries += (0..<events.count / 10).map { _ in events.randomElement(using: &rng)! }
            deliveries.shuffle(using: &rng)
        }
        var index = 0
        while index < deliveries.count {
            let chunk = Int.random(in: 1...400, using: &rng)
            try await db.deliver(Array(deliveries[index..<min(index + chunk, deliveries.count)]))
            try await db.applyAll(batch: Int.random(in: 1...200, using: &rng))
            index += chunk
        }
        #expect(try db.count("inbox_events", where: "status NOT IN ('applied', 'ignored')") == 0)
        let incremental = try db.domainDump()
        try db.rebuild(settings: ApplySettings(), now: 1_800_000_000)
        #expect(try db.domainDump() == incremental, "rebuild must equal incremental application")
        return incremental
    }
}

/// A population with long histories, and what its rows must say.
struct LongHistory {
    typealias E = EventFactory
    var events: [String] = []
    /// The heavy customer's charges: time and partner key, as generated.
    var heavyCharges: [(at: Int, partner: String)] = []
    var bigPartnerCustomers = 0
    var movedKeys: [(key: String, from: String, to: String)] = []

    static let heavyKey = "heavy@example.com", heavyCustomer = "cus_heavy"

    static func generate(using rng: inout SplitMix64) -> LongHistory {
        var p = LongHistory()
        var n = 0
        func id() -> String {
            n += 1
            return "evt_\(n)"
        }
        let partners = ["p_acme", "p_beta", "p_gamma"]

        // One customer paying hundreds of times, every charge carrying its keys; several share a second.
        p.events.append(E.customer(event: id(), created: 5_000, id: heavyCustomer, key: heavyKey, email: "heavy@x"))
        for k in 0..<300 {
            let at = Int.random(in: 1_000...9_000, using: &rng)
            let partner = partners.randomElement(using: &rng)!
            p.heavyCharges.append((at, partner))
            p.events.append(
                E.charge(
                    event: id(), created: at, id: "ch_heavy_\(k)", amount: 100 + k, customer: heavyCustomer,
                    key: heavyKey, partner: partner, product: "usage"))
            if k % 7 == 0 {
                p.events.append(
                    E.charge(
                        event: id(), type: "charge.refunded", created: at + 5, id: "ch_heavy_\(k)",
                        amount: 100 + k, refunded: 50, customer: heavyCustomer, key: heavyKey,
                        partner: partner, product: "usage"))
            }
        }
        // One partner with thousands of customers.
        p.bigPartnerCustomers = 2_000
        for c in 0..<p.bigPartnerCustomers {
            p.events.append(
                E.customer(
                    event: id(), created: 10_000 + c, id: "cus_big_\(c)", key: "big\(c)@example.com",
                    partner: "p_big"))
        }
        // Keys first seen on one Stripe customer's charges, then claimed by another's own metadata.
        for m in 0..<20 {
            let key = "moving\(m)@example.com"
            let from = "cus_from_\(m)"
            let to = "cus_to_\(m)"
            p.movedKeys.append((key, from, to))
            p.events.append(E.customer(event: id(), created: 20_000, id: from, email: "from\(m)@x"))
            for k in 0..<Int.random(in: 1...30, using: &rng) {
                p.events.append(
                    E.charge(
                        event: id(), created: 20_001 + k, id: "ch_moving_\(m)_\(k)", amount: 700,
                        customer: from, key: key, partner: partners[m % 3]))
            }
            // Some claim it with a partner of their own, later than the key's: the key's earlier one wins.
            p.events.append(
                E.customer(
                    event: id(), created: 20_100, id: to, key: key, partner: m % 4 == 1 ? "p_late" : nil,
                    email: "to\(m)@x"))
            if m % 2 == 0 {
                p.events.append(
                    try! LocalEvent.envelope(
                        id: "signup_\(key)", type: LocalEvent.signupType, created: 19_000,
                        object: LocalEvent.Signup(customerKey: key, partnerKey: "p_signup", email: "signup\(m)@x")))
            }
        }
        return p
    }

    /// The rows the rules give, worked out here from the generated facts, not by the projector.
    func checkRows(_ state: [String: [String]]) throws {
        let customers = state["customers"] ?? []
        func text(_ column: String, _ value: String) -> String { "\(column)=\"\(value)\"" }
        func time(_ column: String, _ at: Int) -> String { text(column, Timestamp.iso(Int64(at))) }
        func row(_ key: String) -> String? { customers.first { $0.contains(text("customer_key", key)) } }

        let earliest = heavyCharges.min { ($0.at, $0.partner) < ($1.at, $1.partner) }!
        let refunds = heavyCharges.enumerated().filter { $0.offset % 7 == 0 }.map { $0.element.at + 5 }
        let latest = (heavyCharges.map(\.at) + refunds + [5_000]).max()!
        let heavy = try #require(row(Self.heavyKey))
        #expect(heavy.contains(text("stripe_customer_id", Self.heavyCustomer)), "\(heavy)")
        #expect(heavy.contains(text("partner_key", earliest.partner)), "first partner by time: \(heavy)")
        #expect(heavy.contains(time("created_at", min(earliest.at, 5_000))), "\(heavy)")
        #expect(heavy.contains(time("updated_at", latest)), "\(heavy)")
        #expect((state["transactions"] ?? []).filter { $0.contains(text("customer_key", Self.heavyKey)) }.count == 300)

        #expect(customers.filter { $0.contains(text("partner_key", "p_big")) }.count == bigPartnerCustomers)
        let big = try #require((state["partners"] ?? []).first { $0.contains(text("partner_key", "p_big")) })
        #expect(big.contains(time("created_at", 10_000)), "\(big)")

        for (m, moved) in movedKeys.enumerated() {
            let claimed = try #require(row(moved.key))
            #expect(claimed.contains(text("stripe_customer_id", moved.to)), "the customer's own metadata wins: \(claimed)")
            let partner = m % 2 == 0 ? "p_signup" : ["p_acme", "p_beta", "p_gamma"][m % 3]
            #expect(claimed.contains(text("partner_key", partner)), "\(claimed)")
            let left = try #require(customers.first { $0.contains(text("stripe_customer_id", moved.from)) })
            #expect(left.contains("customer_key=NULL"), "the first Stripe customer stands alone: \(left)")
        }
    }
}
