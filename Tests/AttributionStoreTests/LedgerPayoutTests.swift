import AttributionCore
import AttributionStore
import AttributionTestSupport
import Foundation
import Testing

/// Payouts, clawbacks and balances (docs/ledger.md).
@Suite("Payouts and clawbacks")
struct LedgerPayoutTests {
    typealias F = LedgerFixture
    let jan1 = F.jan1, day = F.day

    /// p_acme earns 10 % of everything.
    func fixture() async throws -> F {
        let f = try await F.make()
        try f.rule(.percent(bps: 1000))
        return f
    }

    func itemsSumToLines(_ f: F, _ payout: Payout) throws {
        for line in payout.lines {
            let sum = payout.items.filter { $0.partnerKey == line.partnerKey && $0.currency == line.currency }
                .reduce(0) { $0 + $1.amount }
            #expect(sum == line.amount)
        }
        let stored = try f.db.row(
            "SELECT (SELECT sum(amount) FROM payout_lines WHERE payout_id = ?1) AS lines, "
                + "(SELECT sum(amount) FROM payout_items WHERE payout_id = ?1) AS items", [payout.payoutId])
        #expect(stored?["lines"] == stored?["items"])
    }

    @Test("the hold boundary: pending until occurred_at + hold days, payable from that second")
    func holdBoundary() async throws {
        let f = try await fixture()
        try f.db.recordHold(days: 14, now: jan1)
        try await f.charge("ch_1", 10_000, at: jan1 + day)
        #expect(try f.pay(asOf: jan1 + 15 * day - 1) == nil)
        let payout = try #require(try f.pay(asOf: jan1 + 15 * day))
        #expect(payout.lines == [Payout.Line(partnerKey: "p_acme", currency: "usd", amount: 1000)])
        #expect(payout.holdDays == 14)
        #expect(try f.status("ch_1") == "paid")
    }

    @Test("a transaction inside the hold period is pending in the view")
    func pendingInTheView() async throws {
        let f = try await fixture()
        let recent = Int64(Date().timeIntervalSince1970) - day
        try await f.charge("ch_now", 10_000, at: recent)
        #expect(try f.status("ch_now") == "pending")
        #expect(
            try f.db.row("SELECT pending, due FROM partner_balances WHERE partner_key = 'p_acme'")
                == ["pending": "1000", "due": "0"])
    }

    @Test("a refund before the payout: nothing of it is paid")
    func refundBeforePayout() async throws {
        let f = try await fixture()
        try await f.charge("ch_1", 10_000, at: jan1 + day, refunded: 10_000, refundAt: jan1 + 5 * day)
        try await f.charge("ch_2", 5_000, at: jan1 + 2 * day, refunded: 2_000, refundAt: jan1 + 5 * day)
        let payout = try #require(try f.pay(asOf: jan1 + 60 * day))
        #expect(payout.lines.map(\.amount) == [300])
        #expect(payout.items.map(\.transactionId) == ["ch_2"])
        #expect(try f.commission("ch_1") == nil)
    }

    @Test("a refund after the payout is a clawback, netted by the next payout; items sum to each line")
    func refundAfterPayout() async throws {
        let f = try await fixture()
        try await f.charge("ch_1", 10_000, at: jan1 + day)
        let first = try #require(try f.pay(asOf: jan1 + 40 * day))
        try itemsSumToLines(f, first)
        try await f.refund("ch_1", 10_000, refunded: 4_000, at: jan1 + day, refundAt: jan1 + 45 * day)
        #expect(try f.commission("ch_1") == 600)
        #expect(try f.paid("ch_1") == 1000)
        #expect(try f.status("ch_1") == "clawback")
        #expect(try f.due() == -400)
        #expect(try f.pay(asOf: jan1 + 46 * day) == nil)  // a negative balance carries forward
        try await f.charge("ch_2", 10_000, at: jan1 + 50 * day)
        let second = try #require(try f.pay(asOf: jan1 + 90 * day))
        #expect(second.lines.map(\.amount) == [600])
        #expect(Set(second.items.map { "\($0.transactionId):\($0.amount)" }) == ["ch_1:-400", "ch_2:1000"])
        try itemsSumToLines(f, second)
        #expect(try f.status("ch_1") == "paid")
        #expect(try f.due() == 0)
        // What was paid never changes.
        #expect(try f.db.payout(first.payoutId)?.lines.map(\.amount) == [1000])
    }

    @Test("a full refund after the payout: the row stays as a clawback with commission 0")
    func fullRefundAfterPayout() async throws {
        let f = try await fixture()
        try await f.charge("ch_1", 10_000, at: jan1 + day)
        _ = try #require(try f.pay(asOf: jan1 + 40 * day))
        try await f.refund("ch_1", 10_000, refunded: 10_000, at: jan1 + day, refundAt: jan1 + 45 * day)
        #expect(try f.db.count("transactions", where: "transaction_id = 'ch_1'") == 0)
        #expect(
            try f.db.row("SELECT commission, paid, status, occurred_at FROM commissions WHERE transaction_id = 'ch_1'")
                == ["commission": "0", "paid": "1000", "status": "clawback", "occurred_at": Timestamp.iso(jan1 + day)])
        #expect(try f.due() == -1000)
    }

    @Test("a dispute after the payout is a clawback too")
    func disputeAfterPayout() async throws {
        let f = try await fixture()
        try await f.charge("ch_1", 10_000, at: jan1 + day)
        _ = try #require(try f.pay(asOf: jan1 + 40 * day))
        try await f.deliver(
            try DisputeTests.dispute(
                event: "evt_dp", type: "charge.dispute.created",
                created: Int(jan1 + 45 * day), amount: 10_000, status: "needs_response"))
        #expect(try f.status("ch_1") == "clawback")
        #expect(try f.due() == -1000)
    }

    @Test("a balance under the minimum carries forward; another currency's minimum does not apply")
    func minimumCarriesForward() async throws {
        let f = try await fixture()
        try await f.charge("ch_1", 10_000, at: jan1 + day)
        try await f.charge("ch_e", 10_000, at: jan1 + day, currency: "eur")
        let payout = try #require(try f.pay(asOf: jan1 + 40 * day, minimums: ["usd": 5_000]))
        #expect(payout.lines.map(\.currency) == ["eur"])
        #expect(try f.due() == 1000)
        try await f.charge("ch_2", 40_000, at: jan1 + 2 * day)
        let next = try #require(try f.pay(asOf: jan1 + 41 * day, minimums: ["usd": 5_000]))
        #expect(next.lines.map(\.amount) == [5000])
    }

    @Test("void releases the items; mark-paid of a voided payout, void of a paid one and unknown ids are refused")
    func voidAndMarks() async throws {
        let f = try await fixture()
        try await f.charge("ch_1", 10_000, at: jan1 + day)
        let first = try #require(try f.pay(asOf: jan1 + 40 * day))
        #expect(try f.due() == 0)
        try f.db.voidPayout(first.payoutId, now: jan1 + 41 * day)
        #expect(try f.due() == 1000)
        #expect(try f.status("ch_1") == "payable")
        let events = try f.db.count("inbox_events")
        #expect(throws: StoreError.self) { try f.db.markPayoutPaid(first.payoutId, reference: nil, now: jan1 + 42 * day) }
        #expect(throws: StoreError.self) { try f.db.voidPayout("po_unknown", now: jan1 + 42 * day) }
        let second = try #require(try f.pay(asOf: jan1 + 42 * day))
        try f.db.markPayoutPaid(second.payoutId, reference: "wire 42", now: jan1 + 43 * day)
        #expect(try f.db.payout(second.payoutId)?.status == "paid")
        #expect(try f.db.payout(second.payoutId)?.reference == "wire 42")
        #expect(throws: StoreError.self) { try f.db.voidPayout(second.payoutId, now: jan1 + 44 * day) }
        #expect(try f.db.count("inbox_events") == events + 2)
    }

    @Test("balances: earned, pending, held, paid and due per partner and currency")
    func balances() async throws {
        let f = try await fixture()
        try await f.charge("ch_1", 10_000, at: jan1 + day)
        try await f.charge("ch_2", 20_000, at: jan1 + 2 * day)
        _ = try #require(try f.pay(asOf: jan1 + 31 * day))  // pays ch_1 only
        #expect(
            try f.db.balances(mode: .live) == [
                Balance(
                    partnerKey: "p_acme", name: "Acme", livemode: true, currency: "usd", earned: 3000, pending: 0,
                    held: 0, paid: 1000, due: 2000)
            ])
        #expect(try f.db.balances(mode: .test).isEmpty)
    }
}
