/// The partner report of docs/cli.md: per partner, customers, active subscriptions
/// and per-currency money over a period.
///
/// It is a plain value so that the store computes it, the CLI renders it as a
/// table, CSV or JSON, and tests compare it, without any of them sharing code
/// paths they do not need.
public struct Report: Sendable, Equatable, Encodable {
    public var mode: ReportMode
    /// The period's bounds as given (`2026-11-01`); nil means unbounded.
    public var from: String?
    public var to: String?
    public var partners: [ReportEntry]
    /// Customers and money with no partner; nil when the report is for one partner.
    public var unattributed: ReportEntry?
    /// Live mode was asked for, the period holds no live transaction, but test-mode ones exist.
    public var onlyTestData: Bool

    public init(
        mode: ReportMode, from: String?, to: String?, partners: [ReportEntry], unattributed: ReportEntry?,
        onlyTestData: Bool = false
    ) {
        self.mode = mode
        self.from = from
        self.to = to
        self.partners = partners
        self.unattributed = unattributed
        self.onlyTestData = onlyTestData
    }

    enum CodingKeys: String, CodingKey { case mode, from, to, partners, unattributed }

    /// Exactly the JSON of docs/cli.md: `from`, `to` and `unattributed` are written as `null` when absent.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(mode, forKey: .mode)
        try c.encode(from, forKey: .from)
        try c.encode(to, forKey: .to)
        try c.encode(partners, forKey: .partners)
        try c.encode(unattributed, forKey: .unattributed)
    }
}

/// Which Stripe mode a report covers; live unless asked otherwise (docs/events.md).
public enum ReportMode: String, Sendable, Equatable, Encodable, CaseIterable {
    case live, test, all
}

/// One partner's line of the report, or the unattributed line (`partnerKey` nil).
public struct ReportEntry: Sendable, Equatable, Encodable {
    public var partnerKey: String?
    public var name: String?
    /// Customers ever attributed (deleted ones too), whatever the period.
    public var customers: Int
    /// Subscriptions of those customers whose status is `active` or `trialing` now.
    public var activeSubscriptions: Int
    /// One entry per currency, sorted by currency code.
    public var totals: [CurrencyTotals]

    public init(
        partnerKey: String?, name: String?, customers: Int = 0, activeSubscriptions: Int = 0,
        totals: [CurrencyTotals] = []
    ) {
        self.partnerKey = partnerKey
        self.name = name
        self.customers = customers
        self.activeSubscriptions = activeSubscriptions
        self.totals = totals
    }

    enum CodingKeys: String, CodingKey {
        case partnerKey = "partner_key", name, customers, activeSubscriptions = "active_subscriptions", totals
    }

    /// Partners carry `partner_key` and `name` (null when unknown); the unattributed entry carries neither.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        if let partnerKey {
            try c.encode(partnerKey, forKey: .partnerKey)
            try c.encode(name, forKey: .name)
        }
        try c.encode(customers, forKey: .customers)
        try c.encode(activeSubscriptions, forKey: .activeSubscriptions)
        try c.encode(totals, forKey: .totals)
    }
}

/// Money of one partner in one currency, in minor units. Never summed across currencies.
public struct CurrencyTotals: Sendable, Equatable, Encodable {
    public var currency: String
    public var transactions: Int
    public var gross: Int64
    public var refunded: Int64
    public var net: Int64
    public var commission: Int64

    public init(currency: String, transactions: Int, gross: Int64, refunded: Int64, net: Int64, commission: Int64) {
        self.currency = currency
        self.transactions = transactions
        self.gross = gross
        self.refunded = refunded
        self.net = net
        self.commission = commission
    }
}
