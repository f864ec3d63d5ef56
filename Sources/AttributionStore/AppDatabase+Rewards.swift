import AttributionCore
import GRDB

extension AppDatabase {
    /// Stores `rule`, replacing the rule of the same scope (partner, product) if
    /// there is one; returns whether one was replaced. Reward rules are admin
    /// data, not derived from events, so they are written directly.
    @discardableResult
    public func setRewardRule(_ rule: RewardRule) throws(StoreError) -> Bool {
        do {
            return try writer.write { db in
                try db.execute(sql: "DELETE FROM reward_rules WHERE partner_key IS ? AND product_key IS ?",
                               arguments: [rule.partnerKey, rule.productKey])
                let replaced = db.changesCount > 0
                switch rule.reward {
                case .percent(let bps):
                    try db.execute(sql: "INSERT INTO reward_rules (partner_key, product_key, percent_bps) VALUES (?, ?, ?)",
                                   arguments: [rule.partnerKey, rule.productKey, bps])
                case .flat(let amount, let currency):
                    try db.execute(sql: """
                        INSERT INTO reward_rules (partner_key, product_key, flat_amount, currency) VALUES (?, ?, ?, ?)
                        """, arguments: [rule.partnerKey, rule.productKey, amount, currency.lowercased()])
                }
                return replaced
            }
        } catch {
            throw StoreError.wrap(error, "set the reward rule")
        }
    }

    /// Every reward rule, most specific first, then by partner and product key.
    public func rewardRules() throws(StoreError) -> [RewardRule] {
        do {
            return try writer.read { db in try Self.rewardRules(in: db) }
        } catch {
            throw StoreError.wrap(error, "read the reward rules")
        }
    }

    static func rewardRules(in db: Database) throws -> [RewardRule] {
        try Row.fetchAll(db, sql: """
            SELECT partner_key, product_key, percent_bps, flat_amount, currency FROM reward_rules
            ORDER BY partner_key IS NULL, product_key IS NULL, partner_key, product_key
            """).map { row in
            let reward: RewardRule.Reward
            if let bps = row["percent_bps"] as Int64? {
                reward = .percent(bps: bps)
            } else {
                reward = .flat(amount: row["flat_amount"], currency: row["currency"])
            }
            return RewardRule(partnerKey: row["partner_key"], productKey: row["product_key"], reward: reward)
        }
    }
}
