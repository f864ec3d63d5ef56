/// The admin events of the commission ledger (docs/ledger.md): rules in time, the
/// hold period, approvals of self-referrals, payouts and their marks.
///
/// Each is one event in the inbox, so `events rebuild` reproduces the rule
/// history and what was paid, and any delivery order gives the same state.
extension LocalEvent {
    /// A `rewards set` or `rewards end`: the rule of a scope from `effectiveFrom` on.
    /// The moment it was recorded is the event's `created`.
    public struct RuleChange: Sendable, Equatable, Codable {
        public var partnerKey: String?
        public var productKey: String?
        /// nil for an end of the scope.
        public var reward: RewardRule.Reward?
        public var effectiveFrom: Int64
        public var maxMonths: Int?
        public var maxPayments: Int?

        public init(
            partnerKey: String?, productKey: String?, reward: RewardRule.Reward?, effectiveFrom: Int64,
            maxMonths: Int? = nil, maxPayments: Int? = nil
        ) {
            self.partnerKey = partnerKey
            self.productKey = productKey
            self.reward = reward
            self.effectiveFrom = effectiveFrom
            self.maxMonths = maxMonths
            self.maxPayments = maxPayments
        }

        enum CodingKeys: String, CodingKey {
            case partnerKey = "partner_key", productKey = "product_key", percentBps = "percent_bps"
            case flatAmount = "flat_amount", currency, ended, effectiveFrom = "effective_from"
            case maxMonths = "max_months", maxPayments = "max_payments"
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(partnerKey, forKey: .partnerKey)
            try c.encode(productKey, forKey: .productKey)
            switch reward {
            case .percent(let bps)?: try c.encode(bps, forKey: .percentBps)
            case .flat(let amount, let currency)?:
                try c.encode(amount, forKey: .flatAmount)
                try c.encode(currency, forKey: .currency)
            case nil: break
            }
            try c.encode(reward == nil, forKey: .ended)
            try c.encode(effectiveFrom, forKey: .effectiveFrom)
            try c.encodeIfPresent(maxMonths, forKey: .maxMonths)
            try c.encodeIfPresent(maxPayments, forKey: .maxPayments)
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            partnerKey = try c.decodeIfPresent(String.self, forKey: .partnerKey)
            productKey = try c.decodeIfPresent(String.self, forKey: .productKey)
            if let bps = try c.decodeIfPresent(Int64.self, forKey: .percentBps) {
                reward = .percent(bps: bps)
            } else if let amount = try c.decodeIfPresent(Int64.self, forKey: .flatAmount) {
                reward = .flat(amount: amount, currency: try c.decode(String.self, forKey: .currency))
            } else {
                reward = nil
            }
            effectiveFrom = try c.decode(Int64.self, forKey: .effectiveFrom)
            maxMonths = try c.decodeIfPresent(Int.self, forKey: .maxMonths)
            maxPayments = try c.decodeIfPresent(Int.self, forKey: .maxPayments)
        }

        public init(event: StripeEvent) throws(SnapshotError) {
            let o = event.object
            guard let from = o["effective_from"]?.int else { throw .missingField("reward rule effective_from") }
            var reward: RewardRule.Reward?
            if let bps = o["percent_bps"]?.int {
                reward = .percent(bps: bps)
            } else if let amount = o["flat_amount"]?.int {
                guard let currency = o["currency"]?.string else { throw .missingField("reward rule currency") }
                reward = .flat(amount: amount, currency: currency)
            } else if o["ended"]?.bool != true {
                throw .missingField("reward rule percent_bps or flat_amount")
            }
            self.init(
                partnerKey: o["partner_key"]?.string, productKey: o["product_key"]?.string, reward: reward,
                effectiveFrom: from, maxMonths: o["max_months"]?.int.map(Int.init),
                maxPayments: o["max_payments"]?.int.map(Int.init))
        }
    }

    /// `rewards hold DAYS`: how long a commission waits before it can be paid.
    public struct RewardHold: Sendable, Equatable, Codable {
        public var days: Int
        public init(days: Int) { self.days = days }

        public init(event: StripeEvent) throws(SnapshotError) {
            guard let days = event.object["days"]?.int, days >= 0 else { throw .missingField("reward hold days") }
            self.init(days: Int(days))
        }
    }

    /// `customers approve K`: releases a self-referral's held commissions.
    public struct Approval: Sendable, Equatable, Codable {
        public var customerKey: String
        enum CodingKeys: String, CodingKey { case customerKey = "customer_key" }
        public init(customerKey: String) { self.customerKey = customerKey }

        public init(event: StripeEvent) throws(SnapshotError) {
            guard let key = event.object["customer_key"]?.string else { throw .missingField("approval customer_key") }
            self.init(customerKey: key)
        }
    }

    /// `payouts mark-paid` or `payouts void`.
    public struct PayoutMark: Sendable, Equatable, Codable {
        public static let kinds = ["paid", "voided"]
        public var payoutId: String
        public var kind: String
        public var reference: String?
        enum CodingKeys: String, CodingKey { case payoutId = "payout_id", kind, reference }

        public init(payoutId: String, kind: String, reference: String? = nil) {
            self.payoutId = payoutId
            self.kind = kind
            self.reference = reference
        }

        public init(event: StripeEvent) throws(SnapshotError) {
            guard let id = event.object["payout_id"]?.string else { throw .missingField("payout mark payout_id") }
            guard let kind = event.object["kind"]?.string, Self.kinds.contains(kind)
            else { throw .missingField("payout mark kind (paid or voided)") }
            self.init(payoutId: id, kind: kind, reference: event.object["reference"]?.string)
        }
    }
}
