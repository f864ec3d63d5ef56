import AttributionCore
import Testing

/// The most specific rule wins; commissions round half away from zero per transaction.
@Suite struct CommissionRulesTests {
    let rules = RewardRules([
        RewardRule(reward: .percent(bps: 1000)),
        RewardRule(productKey: "basic", reward: .percent(bps: 500)),
        RewardRule(partnerKey: "p_beta", reward: .percent(bps: 2000)),
        RewardRule(partnerKey: "p_beta", productKey: "pro", reward: .flat(amount: 300, currency: "eur")),
    ])

    @Test func mostSpecificRuleWins() {
        #expect(rules.rule(partner: "p_beta", product: "pro", currency: "eur")?.reward == .flat(amount: 300, currency: "eur"))
        #expect(rules.rule(partner: "p_beta", product: "basic", currency: "usd")?.reward == .percent(bps: 2000))
        #expect(rules.rule(partner: "p_acme", product: "basic", currency: "usd")?.reward == .percent(bps: 500))
        #expect(rules.rule(partner: "p_acme", product: nil, currency: "usd")?.reward == .percent(bps: 1000))
    }

    @Test func flatRuleInAnotherCurrencyFallsThroughToTheNextRule() {
        #expect(rules.rule(partner: "p_beta", product: "pro", currency: "kwd")?.reward == .percent(bps: 2000))
        #expect(rules.commission(net: 12345, currency: "kwd", partner: "p_beta", product: "pro") == 2469)
    }

    @Test func unattributedEarnsNothingAndNoRuleMeansZero() {
        #expect(rules.commission(net: 10000, currency: "usd", partner: nil, product: nil) == 0)
        #expect(RewardRules([]).commission(net: 10000, currency: "usd", partner: "p", product: nil) == 0)
    }

    @Test(arguments: [
        (Int64(1005), Int64(1000), Int64(101)),  // 100.5 → 101
        (1004, 1000, 100),
        (1015, 1000, 102),  // 101.5 → 102 (not banker's 102/101)
        (3333, 2000, 667),
        (1, 5000, 1),  // 0.5 → 1
        (-1005, 1000, -101),  // away from zero below zero too
        (0, 1000, 0),
        (10000, 1250, 1250),
    ])
    func percentRoundsHalfAwayFromZero(net: Int64, bps: Int64, commission: Int64) {
        #expect(Commission.percent(net, bps: bps) == commission)
    }

    @Test func percentTextParsesAndPrints() {
        #expect(RewardRule.basisPoints(fromPercent: "10") == 1000)
        #expect(RewardRule.basisPoints(fromPercent: "12.5") == 1250)
        #expect(RewardRule.basisPoints(fromPercent: "0.25") == 25)
        #expect(RewardRule.basisPoints(fromPercent: "100") == 10000)
        #expect(RewardRule.basisPoints(fromPercent: "100.5") == nil)
        #expect(RewardRule.basisPoints(fromPercent: "1.234") == nil)
        #expect(RewardRule.basisPoints(fromPercent: "ten") == nil)
        #expect(RewardRule(reward: .percent(bps: 1250)).rewardDescription == "12.5 %")
        #expect(RewardRule(reward: .percent(bps: 5)).rewardDescription == "0.05 %")
        #expect(RewardRule(reward: .flat(amount: 300, currency: "eur")).rewardDescription == "3.00 EUR per transaction")
    }
}
