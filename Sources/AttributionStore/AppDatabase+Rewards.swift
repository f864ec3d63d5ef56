import AttributionCore
import GRDB

/// One row of `reward_rules`: a rule (or an end) of a scope from a moment on.
public struct RuleRecord: Sendable, Equatable {
    public var eventId: String
    public var partnerKey: String?
    public var productKey: String?
    /// nil: the row ends the scope.
    public var reward: RewardRule.Reward?
    public var effectiveFrom: String
    public var maxMonths: Int?
    public var maxPayments: Int?
    public var recordedAt: String

    public var rule: RewardRule? { reward.map { RewardRule(partnerKey: partnerKey, productKey: productKey, reward: $0) } }
}

/// What `rewards set` or `rewards end` recorded, for its one-line message.
public struct RuleChangeOutcome: Sendable, Equatable {
    public var effectiveFrom: Int64
    /// The rule of the scope just before `effectiveFrom`, which earlier transactions keep.
    public var previous: RewardRule.Reward?
    public var scopeHadRule: Bool
}

extension AppDatabase {
    /// Records a `rewards set` or `rewards end` as an admin event. Without
    /// `from`: the beginning of time for a scope with no rule or end yet, else
    /// `now` (docs/ledger.md). A partner that does not exist is refused: a typo would
    /// otherwise create a rule no transaction ever uses.
    @discardableResult
    public func recordRuleChange(
        partnerKey: String?, productKey: String?, reward: RewardRule.Reward?,
        from: Int64?, maxMonths: Int? = nil, maxPayments: Int? = nil,
        now: Int64
    ) throws(StoreError) -> RuleChangeOutcome {
        do {
            let scopeHadRule = try writer.read { db in
                try db.one(
                    "SELECT 1 FROM reward_rules WHERE ifnull(partner_key, '') = ? AND ifnull(product_key, '') = ? LIMIT 1",
                    partnerKey ?? "", productKey ?? "", as: { _ in true }) ?? false
            }
            let effective = from ?? (scopeHadRule ? now : 0)
            // The rule in force just before: what earlier transactions keep.
            let previous = try writer.read { db in
                try RuleInTime.inForce(
                    partner: partnerKey, product: productKey, at: Timestamp.iso(effective - 1),
                    in: Statements(db))?.reward
            }
            if reward == nil && !scopeHadRule {
                throw StoreError.notFound("cannot end the rule of \(Self.scopeText(partnerKey, productKey)): it has none")
            }
            let change = LocalEvent.RuleChange(
                partnerKey: partnerKey, productKey: productKey, reward: reward,
                effectiveFrom: effective, maxMonths: maxMonths, maxPayments: maxPayments)
            try recordAdminEvent(type: LocalEvent.rewardRuleType, prefix: "reward", object: change, now: now) { db in
                if let partnerKey, try db.one("SELECT 1 FROM partners WHERE partner_key = ?", partnerKey, as: { _ in true }) == nil {
                    throw StoreError.notFound("cannot set a rule for partner \(partnerKey): no such partner")
                }
            }
            return RuleChangeOutcome(effectiveFrom: effective, previous: previous, scopeHadRule: scopeHadRule)
        } catch {
            throw StoreError.wrap(error, "record the reward rule")
        }
    }

    /// The rule as tests and older callers set it: from the default moment, no limits.
    /// Returns whether the scope already had a rule.
    @discardableResult
    public func setRewardRule(_ rule: RewardRule, now: Int64 = 0) throws(StoreError) -> Bool {
        let outcome = try recordRuleChange(
            partnerKey: rule.partnerKey, productKey: rule.productKey,
            reward: rule.reward, from: nil, now: now)
        return outcome.scopeHadRule
    }

    /// `rewards hold DAYS`; returns the hold period it replaces.
    @discardableResult
    public func recordHold(days: Int, now: Int64) throws(StoreError) -> Int {
        do {
            let before = try holdDays()
            try recordAdminEvent(
                type: LocalEvent.rewardHoldType, prefix: "hold", object: LocalEvent.RewardHold(days: days),
                now: now)
            return before
        } catch {
            throw StoreError.wrap(error, "record the hold period")
        }
    }

    /// The hold period in days: 30 until `rewards hold` sets it.
    public func holdDays() throws(StoreError) -> Int {
        do {
            return try writer.read { db in try Self.holdDays(in: db) }
        } catch {
            throw StoreError.wrap(error, "read the hold period")
        }
    }

    static func holdDays(in db: Database) throws -> Int {
        Int(try db.one("SELECT days FROM reward_hold WHERE id = 1", as: { try $0[0] as Int64 }) ?? 30)
    }

    /// Every rule and end ever recorded, oldest first by (effective_from, recorded_at, event id).
    public func ruleHistory() throws(StoreError) -> [RuleRecord] {
        do {
            return try writer.read { db in
                try db.all(
                    """
                    SELECT event_id, partner_key, product_key, percent_bps, flat_amount, currency, effective_from,
                           max_months, max_payments, recorded_at
                    FROM reward_rules ORDER BY effective_from, recorded_at, event_id
                    """,
                    as: { c in
                        RuleRecord(
                            eventId: try c[0], partnerKey: try c[1], productKey: try c[2], reward: try c.reward(at: 3),
                            effectiveFrom: try c[6], maxMonths: (try c[7] as Int64?).map(Int.init),
                            maxPayments: (try c[8] as Int64?).map(Int.init), recordedAt: try c[9])
                    })
            }
        } catch {
            throw StoreError.wrap(error, "read the reward rules")
        }
    }

    /// The rule of each scope in force at `at` (ends left out), most specific first.
    public func rulesInForce(at: Int64) throws(StoreError) -> [RuleRecord] {
        let moment = Timestamp.iso(at)
        var latest: [String: RuleRecord] = [:]
        for record in try ruleHistory() where record.effectiveFrom <= moment {
            latest["\(record.partnerKey ?? "")\u{0}\(record.productKey ?? "")"] = record
        }
        return latest.values.filter { $0.reward != nil }.sorted {
            let a = ($0.partnerKey == nil ? 1 : 0, $0.productKey == nil ? 1 : 0, $0.partnerKey ?? "", $0.productKey ?? "")
            let b = ($1.partnerKey == nil ? 1 : 0, $1.productKey == nil ? 1 : 0, $1.partnerKey ?? "", $1.productKey ?? "")
            return a < b
        }
    }

    /// The rules in force now, most specific first.
    public func rewardRules(now: Int64 = Int64.max / 2) throws(StoreError) -> [RewardRule] {
        try rulesInForce(at: min(now, 253_402_300_799)).compactMap(\.rule)
    }

    public static func scopeText(_ partner: String?, _ product: String?) -> String {
        "\(partner ?? "all partners")/\(product ?? "all products")"
    }
}
