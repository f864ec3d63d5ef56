import AttributionCore
import AttributionStore
import AttributionTestSupport
import Foundation
import Testing

/// The rules of docs/ledger.md for what a transaction earns: rules in time, scopes,
/// recurring limits, self-referrals.
@Suite("Commission rules in time")
struct LedgerRuleTests {
    typealias F = LedgerFixture
    let jan1 = F.jan1, day = F.day

    @Test("a rule set from a later date leaves earlier transactions and the report of their period as they were")
    func ruleChangeLeavesThePast() async throws {
        let f = try await F.make()
        try f.rule(.percent(bps: 1000))
        try await f.charge("ch_jan", 10_000, at: jan1 + 10 * day)
        let january = ReportRequest(from: Timestamp.iso(jan1), to: Timestamp.iso(jan1 + 31 * day))
        let before = try f.db.report(january)
        try f.rule(.percent(bps: 2000), from: jan1 + 60 * day, now: jan1 + 50 * day)
        try await f.charge("ch_mar", 10_000, at: jan1 + 70 * day)
        #expect(try f.commission("ch_jan") == 1000)
        #expect(try f.commission("ch_mar") == 2000)
        #expect(try f.db.report(january) == before)
        #expect(before.partners.first { $0.partnerKey == "p_acme" }?.totals.first?.commission == 1000)
    }

    @Test("without --from: the beginning for a new scope, now for one with a rule")
    func defaultFrom() async throws {
        let f = try await F.make()
        try await f.charge("ch_1", 10_000, at: jan1 + 10 * day)
        let first = try f.db.recordRuleChange(
            partnerKey: nil, productKey: nil, reward: .percent(bps: 1000), from: nil,
            now: jan1 + 20 * day)
        #expect(first.effectiveFrom == 0)
        #expect(try f.commission("ch_1") == 1000)
        let second = try f.db.recordRuleChange(
            partnerKey: nil, productKey: nil, reward: .percent(bps: 3000), from: nil,
            now: jan1 + 20 * day)
        #expect(second.effectiveFrom == jan1 + 20 * day)
        #expect(second.previous == .percent(bps: 1000))
        #expect(try f.commission("ch_1") == 1000)
    }

    @Test("ending a partner's scope hands its later transactions to the next scope")
    func scopeEnd() async throws {
        let f = try await F.make()
        try f.rule(.percent(bps: 1000))
        try f.rule(.percent(bps: 2500), partner: "p_acme")
        try f.rule(nil, partner: "p_acme", from: jan1 + 30 * day)
        try await f.charge("ch_1", 10_000, at: jan1 + 29 * day)
        try await f.charge("ch_2", 10_000, at: jan1 + 30 * day)
        #expect(try f.commission("ch_1") == 2500)
        #expect(try f.commission("ch_2") == 1000)
    }

    @Test("a flat rule in another currency counts as no rule of its scope; a flat rule pays 0 once the net is 0")
    func flatInAnotherCurrency() async throws {
        let f = try await F.make()
        try f.rule(.percent(bps: 1000))
        try f.rule(.flat(amount: 500, currency: "eur"), partner: "p_acme")
        try await f.charge("ch_usd", 10_000, at: jan1 + day)
        try await f.charge("ch_eur", 10_000, at: jan1 + day, currency: "eur")
        #expect(try f.commission("ch_usd") == 1000)
        #expect(try f.commission("ch_eur") == 500)
    }

    @Test("--months 1 from Jan 31: pays until Feb 28 at the same time (the day clamps), 0 from then")
    func monthsBoundary() async throws {
        let f = try await F.make()
        try f.rule(.percent(bps: 1000), months: 1)
        let first = jan1 + 30 * day + 36_000  // 2026-01-31T10:00:00Z
        let end = CalendarMonths.add(1, to: first)
        #expect(Timestamp.iso(end) == "2026-02-28T10:00:00Z")
        try await f.charge("ch_last", 1_000, at: end - 1)
        try await f.charge("ch_past", 1_000, at: end)
        try await f.charge("ch_first", 1_000, at: first, refunded: 1_000)
        #expect(try f.commission("ch_last") == 100)
        #expect(try f.commission("ch_past") == nil)  // 0 and nothing paid: not listed
        #expect(try f.db.row("SELECT commission FROM ledger_commissions WHERE transaction_id = 'ch_past'")?["commission"] == "0")
    }

    @Test("--payments 2: the first two paid charges earn, a refunded first one still counts, order of arrival aside")
    func paymentsBoundary() async throws {
        let f = try await F.make()
        try f.rule(.percent(bps: 1000), payments: 2)
        // The third arrives first, then the first (fully refunded), then the second.
        try await f.charge("ch_3", 3_000, at: jan1 + 3 * day)
        #expect(try f.commission("ch_3") == 300)
        try await f.charge("ch_1", 1_000, at: jan1 + day, refunded: 1_000)
        try await f.charge("ch_2", 2_000, at: jan1 + 2 * day)
        #expect(try f.commission("ch_2") == 200)
        #expect(try f.commission("ch_3") == nil)
        #expect(try f.db.row("SELECT commission FROM ledger_commissions WHERE transaction_id = 'ch_3'")?["commission"] == "0")
    }

    @Test("a transaction past a limit earns 0 under that rule, not the next scope's")
    func limitDoesNotFallThrough() async throws {
        let f = try await F.make()
        try f.rule(.percent(bps: 1000))
        try f.rule(.percent(bps: 3000), partner: "p_acme", payments: 1)
        try await f.charge("ch_1", 1_000, at: jan1 + day)
        try await f.charge("ch_2", 1_000, at: jan1 + 2 * day)
        #expect(try f.commission("ch_1") == 300)
        #expect(try f.commission("ch_2") == nil)
    }

    @Test("a customer with its partner's email is flagged; its commissions are held until approved")
    func selfReferralHeldThenApproved() async throws {
        let f = try await F.make(partnerEmail: " Acme@Partners.example", customerEmail: "acme@partners.example ")
        try f.rule(.percent(bps: 1000))
        try await f.charge("ch_1", 10_000, at: jan1 + day)
        #expect(try f.db.row("SELECT flag FROM customers WHERE stripe_customer_id = 'cus_1'")?["flag"] == "self_referral")
        #expect(try f.status("ch_1") == "held")
        #expect(try f.due() == 0)
        #expect(try f.pay(asOf: jan1 + 100 * day) == nil)
        #expect(try f.db.approveCustomer("ann", now: jan1 + 50 * day) == .approved(wasFlagged: true))
        #expect(try f.status("ch_1") == "payable")
        #expect(
            try f.db.row("SELECT flag, approved_at FROM customers WHERE stripe_customer_id = 'cus_1'")
                == ["flag": "self_referral", "approved_at": Timestamp.iso(jan1 + 50 * day)])
        #expect(try f.db.approveCustomer("ann", now: jan1 + 51 * day) == .alreadyApproved(at: Timestamp.iso(jan1 + 50 * day)))
    }

    @Test("the worker reports a self-referral once, in the batch that flags it, and not for later events")
    func selfReferralReportedOnce() async throws {
        let f = try await F.make(customerEmail: "other@example.com")
        func apply(_ payload: String) async throws -> [String] {
            try await f.db.deliver([payload])
            return try await f.db.applyDue(limit: 50, settings: ApplySettings(), now: F.jan1).selfReferrals
        }
        // The customer takes its partner's email: flagged now.
        let flagged = try await apply(
            EventFactory.customer(
                event: "evt_cus_1_email", created: Int(jan1 + day), id: "cus_1", key: "ann",
                partner: "p_acme", email: "acme@partners.example"))
        #expect(flagged.count == 1)
        #expect(flagged.first?.contains("customer ann") == true || flagged.first?.contains("customer cus_1") == true)
        // Still flagged after another change of the same customer: nothing new to report.
        let again = try await apply(
            EventFactory.customer(
                event: "evt_cus_1_name", created: Int(jan1 + 2 * day), id: "cus_1", key: "ann",
                partner: "p_acme", email: "acme@partners.example"))
        #expect(again.isEmpty)
        #expect(try f.db.row("SELECT flag FROM customers WHERE stripe_customer_id = 'cus_1'")?["flag"] == "self_referral")
    }

    @Test("refusals write nothing: an unknown partner or customer, an end of a scope without a rule")
    func refusalsWriteNothing() async throws {
        let f = try await F.make()
        let events = try f.db.count("inbox_events")
        #expect(throws: StoreError.self) { try f.rule(.percent(bps: 1000), partner: "p_typo") }
        #expect(throws: StoreError.self) { try f.rule(nil, partner: "p_acme") }
        #expect(throws: StoreError.self) { try f.db.approveCustomer("nobody", now: jan1) }
        #expect(try f.db.count("inbox_events") == events)
        #expect(try f.db.count("reward_rules") == 0)
    }
}
