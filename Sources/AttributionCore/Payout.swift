/// A payout as `payouts create` records it: what is paid to each partner, per
/// currency, and the commission rows that make up each line (docs/ledger.md).
///
/// It is stored whole as one admin event, so what was paid never changes when
/// later events arrive; negative items net clawbacks against the line.
public struct Payout: Sendable, Equatable, Codable {
    public struct Line: Sendable, Equatable, Codable {
        public var partnerKey: String
        public var currency: String
        public var amount: Int64
        enum CodingKeys: String, CodingKey { case partnerKey = "partner_key", currency, amount }
        public init(partnerKey: String, currency: String, amount: Int64) {
            self.partnerKey = partnerKey
            self.currency = currency
            self.amount = amount
        }
    }

    public struct Item: Sendable, Equatable, Codable {
        public var transactionId: String
        public var partnerKey: String
        public var currency: String
        public var amount: Int64
        /// When the transaction occurred: kept so a clawback row outlives its transaction.
        public var occurredAt: String
        enum CodingKeys: String, CodingKey {
            case transactionId = "transaction_id", partnerKey = "partner_key", currency, amount, occurredAt = "occurred_at"
        }
        public init(transactionId: String, partnerKey: String, currency: String, amount: Int64, occurredAt: String) {
            self.transactionId = transactionId
            self.partnerKey = partnerKey
            self.currency = currency
            self.amount = amount
            self.occurredAt = occurredAt
        }
    }

    public var payoutId: String
    public var asOf: Int64
    public var holdDays: Int
    public var lines: [Line]
    public var items: [Item]

    enum CodingKeys: String, CodingKey { case payoutId = "payout_id", asOf = "as_of", holdDays = "hold_days", lines, items }

    public init(payoutId: String, asOf: Int64, holdDays: Int, lines: [Line], items: [Item]) {
        self.payoutId = payoutId
        self.asOf = asOf
        self.holdDays = holdDays
        self.lines = lines
        self.items = items
    }

    public init(event: StripeEvent) throws(SnapshotError) {
        let o = event.object
        guard let id = o["payout_id"]?.string, let asOf = o["as_of"]?.int, let hold = o["hold_days"]?.int
        else { throw .missingField("payout payout_id, as_of or hold_days") }
        var lines: [Line] = []
        for l in o["lines"]?.array ?? [] {
            guard let p = l["partner_key"]?.string, let c = l["currency"]?.string, let a = l["amount"]?.int
            else { throw .missingField("payout line") }
            lines.append(Line(partnerKey: p, currency: c, amount: a))
        }
        var items: [Item] = []
        for i in o["items"]?.array ?? [] {
            guard let t = i["transaction_id"]?.string, let p = i["partner_key"]?.string, let c = i["currency"]?.string,
                let a = i["amount"]?.int, let at = i["occurred_at"]?.string
            else { throw .missingField("payout item") }
            items.append(Item(transactionId: t, partnerKey: p, currency: c, amount: a, occurredAt: at))
        }
        self.init(payoutId: id, asOf: asOf, holdDays: Int(hold), lines: lines, items: items)
    }
}

/// What a payout pays, line by line with how many commission rows each nets:
/// what `payouts create --dry-run` prints, without listing the rows.
public struct PayoutPlan: Sendable, Equatable {
    public struct Line: Sendable, Equatable {
        public var line: Payout.Line
        public var items: Int

        public init(line: Payout.Line, items: Int) {
            self.line = line
            self.items = items
        }
    }

    public var asOf: Int64
    public var holdDays: Int
    public var lines: [Line]

    public init(asOf: Int64, holdDays: Int, lines: [Line]) {
        self.asOf = asOf
        self.holdDays = holdDays
        self.lines = lines
    }
}

extension Payout {
    /// The payout's lines with their item counts, counted in one pass over the items.
    public var plan: PayoutPlan {
        var counts: [String: Int] = [:]
        for item in items { counts[item.partnerKey + "\u{0}" + item.currency, default: 0] += 1 }
        return PayoutPlan(
            asOf: asOf, holdDays: holdDays,
            lines: lines.map { PayoutPlan.Line(line: $0, items: counts[$0.partnerKey + "\u{0}" + $0.currency] ?? 0) })
    }
}
