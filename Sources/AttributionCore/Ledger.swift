import Foundation

/// One row of `partner_balances` (docs/ledger.md), with the partner's name.
public struct Balance: Sendable, Equatable, Codable {
    public var partnerKey: String
    public var name: String?
    public var livemode: Bool
    public var currency: String
    public var earned: Int64
    public var pending: Int64
    public var held: Int64
    public var paid: Int64
    /// What a payout would pay now; negative: a clawback still to recover.
    public var due: Int64

    enum CodingKeys: String, CodingKey {
        case partnerKey = "partner_key", name, livemode, currency, earned, pending, held, paid, due
    }

    public init(
        partnerKey: String, name: String?, livemode: Bool, currency: String, earned: Int64, pending: Int64,
        held: Int64, paid: Int64, due: Int64
    ) {
        self.partnerKey = partnerKey
        self.name = name
        self.livemode = livemode
        self.currency = currency
        self.earned = earned
        self.pending = pending
        self.held = held
        self.paid = paid
        self.due = due
    }
}

/// A payout as `payouts show` and `export` print it.
public struct PayoutDetail: Sendable, Equatable, Codable {
    public struct Line: Sendable, Equatable, Codable {
        public var partnerKey: String
        public var name: String?
        public var email: String?
        public var currency: String
        public var amount: Int64
        /// How many commission rows make up the line (clawbacks included).
        public var items: Int
        enum CodingKeys: String, CodingKey { case partnerKey = "partner_key", name, email, currency, amount, items }
        public init(partnerKey: String, name: String?, email: String?, currency: String, amount: Int64, items: Int) {
            self.partnerKey = partnerKey
            self.name = name
            self.email = email
            self.currency = currency
            self.amount = amount
            self.items = items
        }
    }

    public var payoutId: String
    public var createdAt: String
    public var asOf: String
    public var holdDays: Int
    public var status: String
    public var paidAt: String?
    public var reference: String?
    public var lines: [Line]
    public var items: [Payout.Item]

    enum CodingKeys: String, CodingKey {
        case payoutId = "payout_id", createdAt = "created_at", asOf = "as_of", holdDays = "hold_days", status
        case paidAt = "paid_at", reference, lines, items
    }

    public init(
        payoutId: String, createdAt: String, asOf: String, holdDays: Int, status: String, paidAt: String?,
        reference: String?, lines: [Line], items: [Payout.Item]
    ) {
        self.payoutId = payoutId
        self.createdAt = createdAt
        self.asOf = asOf
        self.holdDays = holdDays
        self.status = status
        self.paidAt = paidAt
        self.reference = reference
        self.lines = lines
        self.items = items
    }

    /// Per currency, the sum of the lines.
    public var totals: [(currency: String, amount: Int64)] {
        var sums: [String: Int64] = [:]
        for l in lines { sums[l.currency, default: 0] += l.amount }
        return sums.keys.sorted().map { ($0, sums[$0]!) }
    }
}

extension Money {
    /// Major units as a plain decimal string for files: `12.34`, `1500` (JPY), `-0.05`.
    public static func decimalText(_ minor: Int64, currency: String) -> String {
        let exponent = exponent(of: currency)
        var scale: UInt64 = 1
        for _ in 0..<exponent { scale *= 10 }
        let magnitude = minor.magnitude
        var text = String(magnitude / scale)
        if exponent > 0 {
            let digits = String(magnitude % scale)
            text += "." + String(repeating: "0", count: exponent - digits.count) + digits
        }
        return minor < 0 ? "-" + text : text
    }
}

/// JSON as every command prints it: keys sorted, stable byte for byte.
public enum StableJSON {
    public static func text(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
