import AttributionCore
import Foundation

/// One transaction as its commission needs it: attribution, amounts and its customer's hold.
struct LedgerTransaction {
    var id: String
    var partnerKey: String?
    var productKey: String?
    var currency: String
    var livemode: Bool
    var occurredAtText: String
    var occurredAt: Int64
    var netAmount: Int64
    /// Whose payments the limits count: the customer row's identities, else the transaction's own.
    var customerIdentity: (key: String?, customer: String?)
    /// An unapproved self-referral.
    var held: Bool

    static func read(_ id: String, in db: Statements) throws -> LedgerTransaction? {
        try db.one(
            """
            SELECT t.transaction_id,
                   CASE WHEN cs.id IS NOT NULL THEN cs.partner_key WHEN ck.id IS NOT NULL THEN ck.partner_key
                        ELSE t.partner_key END,
                   t.product_key, t.currency, t.livemode, t.occurred_at,
                   max(t.amount - t.amount_refunded - t.amount_disputed, 0),
                   CASE WHEN cs.id IS NOT NULL THEN cs.customer_key WHEN ck.id IS NOT NULL THEN ck.customer_key
                        ELSE t.customer_key END,
                   CASE WHEN cs.id IS NOT NULL THEN cs.stripe_customer_id WHEN ck.id IS NOT NULL THEN ck.stripe_customer_id
                        ELSE t.stripe_customer_id END,
                   coalesce(cs.flag, ck.flag), coalesce(cs.approved_at, ck.approved_at)
            FROM transactions t
            LEFT JOIN customers cs ON cs.stripe_customer_id = t.stripe_customer_id
            LEFT JOIN customers ck ON cs.id IS NULL AND ck.customer_key = t.customer_key
            WHERE t.transaction_id = ?
            """, id
        ) { c in
            let occurred: String = try c[5]
            let flag: String? = try c[9]
            let approved: String? = try c[10]
            return LedgerTransaction(
                id: try c[0], partnerKey: try c[1], productKey: try c[2], currency: try c[3], livemode: try c[4],
                occurredAtText: occurred, occurredAt: Timestamp.parse(occurred) ?? 0, netAmount: try c[6],
                customerIdentity: (try c[7], try c[8]), held: flag == "self_referral" && approved == nil)
        }
    }
}

/// A customer's paid charges (or invoices in invoice mode), ordered by when
/// they occurred, then id: refunded ones included, failed ones not. Each
/// read is two index range scans with a limit, one per identity.
struct PaidTransactions {
    let db: Statements
    let settings: ApplySettings
    let customer: (key: String?, customer: String?)
    let livemode: Bool

    private var table: (name: String, id: String, at: String, paid: String) {
        settings.transactionSource == .invoice
            ? ("fact_invoices", "invoice_id", "paid_at", "amount_paid > 0")
            : ("fact_charges", "charge_id", "created_at", "status = 'succeeded'")
    }

    /// The first `limit` paid transactions' (time, id).
    func firstRows(_ limit: Int, before: (at: Int64, id: String)? = nil) throws -> [(at: Int64, id: String)] {
        let t = table
        var rows: [(at: Int64, id: String)] = []
        for (column, value) in [("stripe_customer_id", customer.customer), ("customer_key", customer.key)] {
            guard let value else { continue }
            rows += try db.all(
                """
                SELECT \(t.at), \(t.id) FROM \(t.name)
                WHERE \(column) = ?1 AND livemode = ?2 AND \(t.paid) AND (?3 IS NULL OR (\(t.at), \(t.id)) < (?3, ?4))
                ORDER BY \(t.at), \(t.id) LIMIT ?5
                """, value, livemode, before?.at, before?.id, Int64(limit)
            ) { (at: try $0[0] as Int64, id: try $0[1] as String) }
        }
        var seen = Set<String>()
        return rows.sorted { ($0.at, $0.id) < ($1.at, $1.id) }.filter { seen.insert($0.id).inserted }.prefix(limit).map { $0 }
    }

    func first(_ limit: Int) throws -> [String] { try firstRows(limit).map(\.id) }

    func firstAt() throws -> Int64? { try firstRows(1).first?.at }

    /// How many paid transactions come before (at, id), counting at most `limit`.
    func countBefore(at: Int64, id: String, limit: Int) throws -> Int {
        try firstRows(limit, before: (at, id)).count
    }
}

/// The rule that decides a transaction's commission (docs/ledger.md): per scope, most
/// specific first, the rule in force at the transaction's time; an end or a
/// flat rule in another currency leaves the decision to the next scope.
struct RuleInTime {
    var eventId: String
    var reward: RewardRule.Reward?
    var maxMonths: Int?
    var maxPayments: Int?

    func commission(net: Int64) -> Int64 {
        switch reward {
        case .percent(let bps)?: Commission.percent(net, bps: bps)
        case .flat(let amount, _)?: net > 0 ? amount : 0
        case nil: 0
        }
    }

    /// Per scope, most specific first, the first rule in force at `at` that
    /// pays in this currency; `inForce` answers one scope (the database, or a `RuleBook`).
    static func deciding(
        partner: String, product: String?, currency: String, at: Int64,
        inForce: (_ partner: String?, _ product: String?, _ at: String) throws -> RuleInTime?
    ) rethrows -> RuleInTime? {
        var scopes: [(String?, String?)] = []
        if let product { scopes.append((partner, product)) }
        scopes.append((partner, nil))
        if let product { scopes.append((nil, product)) }
        scopes.append((nil, nil))
        let moment = Timestamp.iso(at)
        for (p, q) in scopes {
            guard let rule = try inForce(p, q, moment), let reward = rule.reward else { continue }
            if case .flat(_, let c) = reward, c.lowercased() != currency.lowercased() { continue }
            return rule
        }
        return nil
    }

    /// The scope's rule with the greatest (effective_from, recorded_at, event id) in force at `at`.
    static func inForce(partner: String?, product: String?, at: String, in db: Statements) throws -> RuleInTime? {
        try db.one(
            """
            SELECT \(columns) FROM reward_rules
            WHERE ifnull(partner_key, '') = ? AND ifnull(product_key, '') = ? AND effective_from <= ?
            ORDER BY effective_from DESC, recorded_at DESC, event_id DESC LIMIT 1
            """, partner ?? "", product ?? "", at, as: RuleInTime.init)
    }

    /// The columns `init(_:)` reads.
    static let columns = "event_id, percent_bps, flat_amount, currency, max_months, max_payments"
}

extension RuleInTime {
    /// A row of `RuleInTime.columns`.
    init(_ c: Columns) throws {
        self.init(
            eventId: try c[0], reward: try c.reward(at: 1), maxMonths: (try c[4] as Int64?).map(Int.init),
            maxPayments: (try c[5] as Int64?).map(Int.init))
    }
}

extension Columns {
    /// The reward of a `reward_rules` row from its `percent_bps`, `flat_amount`
    /// and `currency` columns, the first at `index`; nil for a rule's end.
    func reward(at index: CInt) throws -> RewardRule.Reward? {
        if let bps = try self[index] as Int64? { return .percent(bps: bps) }
        if let flat = try self[index + 1] as Int64? { return .flat(amount: flat, currency: try self[index + 2]) }
        return nil
    }
}

/// The reward rules of the scopes one settle asks about, each scope read once.
///
/// Without it every commission asked SQLite for up to four scopes' rules, 2–4
/// statements per transaction (each returning nothing while no rule is set);
/// a settle of a 200-event batch now reads each scope it meets once. A scope's
/// rules are its changes over time, so the lookup is a binary search on `effective_from`.
struct RuleBook {
    let db: Statements
    /// Each scope's rules in the order `inForce` ranks them, oldest first.
    private var scopes: [Scope: [(effectiveFrom: String, rule: RuleInTime)]] = [:]

    private struct Scope: Hashable {
        var partner: String
        var product: String
    }

    init(db: Statements) { self.db = db }

    mutating func deciding(partner: String, product: String?, currency: String, at: Int64) throws -> RuleInTime? {
        try RuleInTime.deciding(partner: partner, product: product, currency: currency, at: at) { p, q, moment in
            try inForce(partner: p, product: q, at: moment)
        }
    }

    /// The same rule as `RuleInTime.inForce`: the last of the scope whose `effective_from` is at or before `at`.
    mutating func inForce(partner: String?, product: String?, at: String) throws -> RuleInTime? {
        let scope = Scope(partner: partner ?? "", product: product ?? "")
        let rules = try scopes[scope] ?? load(scope)
        // SQLite compares text bytewise; so does this, on UTF-8.
        var (low, high) = (0, rules.count)
        while low < high {
            let mid = (low + high) / 2
            if at.utf8.lexicographicallyPrecedes(rules[mid].effectiveFrom.utf8) { high = mid } else { low = mid + 1 }
        }
        return low == 0 ? nil : rules[low - 1].rule
    }

    private mutating func load(_ scope: Scope) throws -> [(effectiveFrom: String, rule: RuleInTime)] {
        let rules = try db.all(
            """
            SELECT \(RuleInTime.columns), effective_from FROM reward_rules
            WHERE ifnull(partner_key, '') = ? AND ifnull(product_key, '') = ?
            ORDER BY effective_from, recorded_at, event_id
            """, scope.partner, scope.product
        ) { c in (effectiveFrom: try c[6] as String, rule: try RuleInTime(c)) }
        scopes[scope] = rules
        return rules
    }
}
