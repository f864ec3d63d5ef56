import AttributionCore
import AttributionTestSupport
import GRDB
import Testing

@testable import AttributionStore

/// Migration 0012 turns the rules set before rules had a time into rules from
/// the beginning of time, recorded as admin events, so an upgrade changes no report.
@Suite("Upgrading to rules in time")
struct RulesInTimeMigrationTests {
    @Test("old rules become rules from 1970 in the inbox; the report's commissions are unchanged; a rebuild keeps them")
    func oldRulesKeepTheReport() async throws {
        let queue = try DatabaseQueue()
        try AppDatabase.migrator.migrate(queue, upTo: "0010_disputes")
        try await queue.write { db in
            try db.execute(
                sql: """
                    INSERT INTO partners (partner_key, created_at, source) VALUES ('p_a', '2026-01-01T00:00:00Z', 'admin');
                    INSERT INTO customers (stripe_customer_id, partner_key, livemode, created_at, updated_at)
                        VALUES ('cus_1', 'p_a', 1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
                    INSERT INTO transactions (transaction_id, source, stripe_customer_id, product_key, amount, currency,
                                              livemode, occurred_at) VALUES
                        ('ch_1', 'charge', 'cus_1', 'pro', 10000, 'usd', 1, '2026-02-01T00:00:00Z'),
                        ('ch_2', 'charge', 'cus_1', NULL, 5005, 'usd', 1, '2026-02-02T00:00:00Z'),
                        ('ch_3', 'charge', 'cus_1', NULL, 2000, 'eur', 1, '2026-02-03T00:00:00Z');
                    INSERT INTO reward_rules (partner_key, product_key, percent_bps, flat_amount, currency) VALUES
                        (NULL, NULL, 1000, NULL, NULL), (NULL, 'pro', 1500, NULL, NULL), ('p_a', NULL, NULL, 300, 'eur');
                    """)
        }
        let db = AppDatabase(writer: queue, path: ":memory:")
        #expect(try db.migrate() == AppDatabase.migrationNames.count)
        let totals = try db.report(ReportRequest()).partners.first { $0.partnerKey == "p_a" }?.totals
        #expect(totals?.map(\.commission) == [300, 1500 + 501])  // eur flat 3.00; usd 15 % and 10 % (500.5 → 501)
        #expect(try db.column("SELECT effective_from FROM reward_rules") == Array(repeating: "1970-01-01T00:00:00Z", count: 3))
        #expect(try db.count("inbox_events", where: "type = 'attributiond.reward_rule' AND status = 'applied'") == 3)
        #expect(try db.count("ledger_dirty") == 0)
        try db.rebuild(settings: ApplySettings(), now: 1_800_000_000)
        #expect(
            try db.rewardRules() == [
                RewardRule(partnerKey: "p_a", reward: .flat(amount: 300, currency: "eur")),
                RewardRule(productKey: "pro", reward: .percent(bps: 1500)),
                RewardRule(reward: .percent(bps: 1000)),
            ])
    }
}
