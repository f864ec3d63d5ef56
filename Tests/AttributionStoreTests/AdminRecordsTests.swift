import AttributionCore
import AttributionStore
import Foundation
import Testing

/// Reward rules, partners and signups as the admin commands write and read them.
@Suite struct AdminRecordsTests {
    let now: Int64 = 1_793_491_200

    @Test func settingARuleSupersedesTheRuleOfTheSameScope() async throws {
        let db = try AppDatabase.makeEmpty()
        try await db.recordPartner(key: "p_acme", name: "Acme", email: nil, settings: ApplySettings(), now: now)
        #expect(try db.setRewardRule(RewardRule(partnerKey: "p_acme", reward: .percent(bps: 1000))) == false)
        #expect(try db.setRewardRule(RewardRule(reward: .percent(bps: 500))) == false)
        #expect(try db.setRewardRule(RewardRule(partnerKey: "p_acme", reward: .flat(amount: 500, currency: "USD"))) == true)
        #expect(
            try db.rewardRules() == [
                RewardRule(partnerKey: "p_acme", reward: .flat(amount: 500, currency: "usd")),
                RewardRule(reward: .percent(bps: 500)),
            ])
    }

    @Test func partnersAddKeepsFieldsLeftOut() async throws {
        let db = try AppDatabase.makeEmpty()
        try await db.recordPartner(key: "p_acme", name: "Acme", email: nil, settings: ApplySettings(), now: now)
        let row = try await db.recordPartner(
            key: "p_acme", name: nil, email: "a@acme.example", settings: ApplySettings(),
            now: now)
        #expect(row.name == "Acme")
        #expect(row.email == "a@acme.example")
        #expect(row.source == "admin")
        #expect(try db.partners().map(\.partnerKey) == ["p_acme"])
    }

    @Test func signupIsIdempotentOnTheCustomerKey() async throws {
        let db = try AppDatabase.makeEmpty()
        let first = try await db.recordSignup(
            LocalEvent.Signup(customerKey: "k1", partnerKey: "p_a", email: "k1@x.example"),
            settings: ApplySettings(), now: now)
        let again = try await db.recordSignup(
            LocalEvent.Signup(customerKey: "k1", partnerKey: "p_b"),
            settings: ApplySettings(), now: now + 60)
        #expect(first.outcome == .stored)
        #expect(again.outcome == .duplicate)
        #expect(again.customer == first.customer)
        #expect(again.customer.partnerKey == "p_a")
        #expect(try db.partners().map(\.partnerKey) == ["p_a"])
        #expect(try db.report(ReportRequest()).partners.first?.customers == 1)
    }

    @Test func customerIsFoundByKeyOrStripeId() async throws {
        let (db, dir) = try await ReportFixture.makeDatabase()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try db.customer(key: "bob@example.com")?.stripeCustomerId == "cus_B1")
        #expect(try db.customer(key: "cus_B1")?.customerKey == "bob@example.com")
        #expect(try db.customer(key: "cus_D1")?.deletedAt != nil)
        #expect(try db.customer(key: "nobody") == nil)
    }
}
