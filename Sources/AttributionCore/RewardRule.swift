/// What a partner earns per transaction, for one scope (docs/derivation.md and docs/cli.md).
///
/// A scope is a partner key (nil: all partners) and a product key (nil: all
/// products); there is at most one rule per scope, so setting a rule again
/// replaces it. The most specific rule that applies to a transaction wins.
public struct RewardRule: Sendable, Equatable, Codable {
    /// A share of the net amount, or a fixed amount per transaction.
    public enum Reward: Sendable, Equatable, Codable {
        /// Basis points of the net amount: 1000 = 10 %.
        case percent(bps: Int64)
        /// This many minor units of `currency` per transaction in that currency.
        case flat(amount: Int64, currency: String)
    }

    public var partnerKey: String?
    public var productKey: String?
    public var reward: Reward

    public init(partnerKey: String? = nil, productKey: String? = nil, reward: Reward) {
        self.partnerKey = partnerKey
        self.productKey = productKey
        self.reward = reward
    }

    /// 3 partner + product, 2 partner, 1 product, 0 default: higher wins.
    public var specificity: Int {
        (partnerKey != nil ? 2 : 0) + (productKey != nil ? 1 : 0)
    }

    /// Whether this rule covers a transaction of `partner` for `product` in `currency`.
    /// A flat rule covers only transactions in its own currency (amounts of two
    /// currencies cannot be compared); for others the next less specific rule applies.
    public func applies(partner: String, product: String?, currency: String) -> Bool {
        if let partnerKey, partnerKey != partner { return false }
        if let productKey, productKey != product { return false }
        if case .flat(_, let c) = reward, c.lowercased() != currency.lowercased() { return false }
        return true
    }

    /// `10 %`, `12.5 %`, `5.00 USD per transaction`.
    public var rewardDescription: String {
        switch reward {
        case .percent(let bps):
            return "\(Self.percentText(bps)) %"
        case .flat(let amount, let currency):
            return "\(Money.format(amount, currency: currency)) per transaction"
        }
    }

    /// `1250` → `12.5`, `1000` → `10`, `5` → `0.05`.
    public static func percentText(_ bps: Int64) -> String {
        let whole = bps / 100
        let rest = bps % 100
        if rest == 0 { return "\(whole)" }
        if rest % 10 == 0 { return "\(whole).\(rest / 10)" }
        return "\(whole).\(rest < 10 ? "0" : "")\(rest)"
    }

    /// Parses a percentage as typed (`10`, `12.5`, `0.25`) into basis points; nil unless 0…100 with ≤ 2 decimals.
    public static func basisPoints(fromPercent text: String) -> Int64? {
        guard let (units, decimals) = Money.parseDecimal(text), decimals <= 2 else { return nil }
        let bps = decimals == 2 ? units : decimals == 1 ? units * 10 : units * 100
        return (0...10_000).contains(bps) ? bps : nil
    }
}
