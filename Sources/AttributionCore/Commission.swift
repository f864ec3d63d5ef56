/// Commissions: the most specific applicable rule, applied to each
/// transaction's net amount and rounded half away from zero to the minor unit.
///
/// Rounding per transaction (not per total) makes a partner's commission the
/// sum of what each payment earned, so a statement can be checked line by line.
public struct RewardRules: Sendable, Equatable {
    /// The rules, most specific first; among equals, in the order given.
    public let ordered: [RewardRule]

    public init(_ rules: [RewardRule]) {
        ordered = rules.enumerated()
            .sorted { ($0.element.specificity, -$0.offset) > ($1.element.specificity, -$1.offset) }
            .map(\.element)
    }

    /// The rule that decides for a transaction of `partner` (nil: unattributed) for
    /// `product` in `currency`; nil when none applies or there is no partner.
    public func rule(partner: String?, product: String?, currency: String) -> RewardRule? {
        guard let partner else { return nil }
        return ordered.first { $0.applies(partner: partner, product: product, currency: currency) }
    }

    /// What one transaction earns its partner, in minor units of its currency.
    /// Unattributed transactions and transactions no rule covers earn nothing.
    public func commission(net: Int64, currency: String, partner: String?, product: String?) -> Int64 {
        guard let rule = rule(partner: partner, product: product, currency: currency) else { return 0 }
        return Commission.of(net: net, reward: rule.reward)
    }
}

/// The arithmetic of one commission.
public enum Commission {
    /// `percent`: net × bps / 10 000, rounded half away from zero; `flat`: the amount.
    public static func of(net: Int64, reward: RewardRule.Reward) -> Int64 {
        switch reward {
        case .percent(let bps): percent(net, bps: bps)
        case .flat(let amount, _): amount
        }
    }

    /// `net × bps / 10 000` rounded half away from zero (1 005 at 10 % is 100.5 → 101).
    public static func percent(_ net: Int64, bps: Int64) -> Int64 {
        let product = net.magnitude * bps.magnitude
        let rounded = Int64((product + 5_000) / 10_000)
        return (net < 0) != (bps < 0) ? -rounded : rounded
    }
}
