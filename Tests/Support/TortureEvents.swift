import Foundation

/// A seeded, reproducible random number generator (SplitMix64) for torture and fuzz tests.
///
/// `SystemRandomNumberGenerator` cannot be replayed; a failing seed printed by
/// a test must reproduce the same run.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A population of distinct, realistic signed-able events: customers, charges,
/// refunds and subscriptions that refer to each other, with shuffled `created`
/// times so that arrival order and event time disagree.
public enum TortureEvents {
    /// `count` payloads with ids `evt_<prefix>_<n>`, deterministic for a seed.
    public static func make(count: Int, prefix: String = "tt", seed: UInt64, now: Int) -> [(id: String, payload: String)] {
        var rng = SeededGenerator(seed: seed)
        var out: [(String, String)] = []
        let customers = max(count / 8, 1)
        var n = 0
        func id() -> String {
            n += 1
            return "evt_\(prefix)_\(n)"
        }
        func when() -> Int { now - Int.random(in: 0..<86_400, using: &rng) }
        while out.count < count {
            let c = Int.random(in: 0..<customers, using: &rng)
            let partner: String? = Int.random(in: 0..<4, using: &rng) == 0 ? nil : "p_\(prefix)_\(c % 7)"
            switch Int.random(in: 0..<10, using: &rng) {
            case 0, 1:
                let e = id()
                out.append(
                    (
                        e,
                        EventFactory.customer(
                            event: e, type: ["customer.created", "customer.updated"].randomElement(using: &rng)!,
                            created: when(), id: "cus_\(prefix)_\(c)", key: "k\(c)@\(prefix)",
                            partner: partner, email: "k\(c)@\(prefix).example")
                    ))
            case 2...5:
                let e = id()
                let amount = Int.random(in: 100...50_000, using: &rng)
                let ch = "ch_\(prefix)_\(n)"
                out.append(
                    (
                        e,
                        EventFactory.charge(
                            event: e, created: when(), id: ch, amount: amount,
                            currency: ["usd", "eur", "jpy"].randomElement(using: &rng)!,
                            customer: "cus_\(prefix)_\(c)", key: Bool.random(using: &rng) ? "k\(c)@\(prefix)" : nil,
                            partner: partner, product: ["basic", "pro", nil].randomElement(using: &rng)!)
                    ))
                if Int.random(in: 0..<3, using: &rng) == 0 {
                    let r = id()
                    out.append(
                        (
                            r,
                            EventFactory.charge(
                                event: r, type: "charge.refunded", created: when(), id: ch, amount: amount,
                                refunded: Bool.random(using: &rng) ? amount : amount / 3,
                                customer: "cus_\(prefix)_\(c)")
                        ))
                }
            case 6:
                let e = id()
                out.append(
                    (
                        e,
                        EventFactory.charge(
                            event: e, type: "charge.failed", created: when(), id: "ch_\(prefix)_\(n)",
                            amount: 999, customer: "cus_\(prefix)_\(c)", status: "failed")
                    ))
            default:
                let sub = "sub_\(prefix)_\(c)_\(Int.random(in: 0..<3, using: &rng))"
                let type = [
                    "customer.subscription.created", "customer.subscription.updated",
                    "customer.subscription.deleted",
                ].randomElement(using: &rng)!
                let e = id()
                out.append(
                    (
                        e,
                        EventFactory.subscription(
                            event: e, type: type, created: when(), id: sub,
                            customer: "cus_\(prefix)_\(c)",
                            status: ["active", "trialing", "past_due"].randomElement(using: &rng)!,
                            unitAmount: Int.random(in: 500...5000, using: &rng),
                            quantity: Int.random(in: 1...3, using: &rng))
                    ))
            }
        }
        return Array(out.prefix(count))
    }
}
