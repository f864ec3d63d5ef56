import AttributionCore
import AttributionTestSupport
import GRDB
import Testing

@testable import AttributionStore

/// Migration 0016 moves what was paid onto the commission rows and sums the
/// running totals from them: an upgraded ledger shows what version 15 showed.
@Suite("Upgrading to the ledger's running totals")
struct LedgerTotalsMigrationTests {
    @Test("commissions and partner_balances read the same before and after; a paid row without a commission stays")
    func upgradeKeepsTheLedger() throws {
        let queue = try DatabaseQueue()
        try AppDatabase.migrator.migrate(queue, upTo: "0015_ledger_views_hold_boundary")
        let recent = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-3 days')"
        try queue.write { db in
            try db.execute(
                sql: """
                    INSERT INTO transactions (transaction_id, source, stripe_customer_id, amount, currency, livemode, occurred_at)
                    VALUES ('ch_1', 'charge', 'cus_1', 10000, 'usd', 1, '2026-02-01T00:00:00Z'),
                           ('ch_2', 'charge', 'cus_1', 5000, 'usd', 1, '2026-03-01T00:00:00Z'),
                           ('ch_4', 'charge', 'cus_1', 4000, 'eur', 1, \(recent));
                    INSERT INTO ledger_commissions (transaction_id, partner_key, currency, livemode, occurred_at, net_amount,
                        commission, held, rule_event) VALUES
                        ('ch_1', 'p_a', 'usd', 1, '2026-02-01T00:00:00Z', 10000, 1000, 0, 'evt_rule'),
                        ('ch_2', 'p_a', 'usd', 1, '2026-03-01T00:00:00Z', 5000, 500, 0, 'evt_rule'),
                        ('ch_4', 'p_a', 'eur', 1, \(recent), 4000, 400, 1, 'evt_rule');
                    INSERT INTO payouts (payout_id, created_at, as_of, hold_days, status) VALUES
                        ('po_1', '2026-04-01T00:00:00Z', '2026-04-01T00:00:00Z', 30, 'paid'),
                        ('po_2', '2026-05-01T00:00:00Z', '2026-05-01T00:00:00Z', 30, 'voided');
                    -- ch_3 was paid, then its charge disappeared: a clawback of 300.
                    INSERT INTO payout_items (payout_id, transaction_id, partner_key, currency, amount, occurred_at) VALUES
                        ('po_1', 'ch_1', 'p_a', 'usd', 1000, '2026-02-01T00:00:00Z'),
                        ('po_1', 'ch_3', 'p_a', 'usd', 300, '2026-02-15T00:00:00Z'),
                        ('po_2', 'ch_2', 'p_a', 'usd', 500, '2026-03-01T00:00:00Z');
                    -- Between events the queue of re-derivations is empty (the inserts above filled it).
                    DELETE FROM ledger_dirty;
                    """)
        }
        func read() throws -> [String] {
            try queue.read { db in
                try ["SELECT * FROM commissions ORDER BY transaction_id", "SELECT * FROM partner_balances ORDER BY currency"]
                    .flatMap { sql in try Row.fetchAll(db, sql: sql).map(\.description) }
            }
        }
        let before = try read()
        #expect(before.count == 6, "four commission rows and two balances")
        let db = AppDatabase(writer: queue, path: ":memory:")
        _ = try db.migrate()
        let after = try read()
        #expect(after == before, "\(after.joined(separator: "\n")) vs \(before.joined(separator: "\n"))")
        #expect(try db.column("SELECT rule_event || ' ' || paid FROM ledger_commissions WHERE transaction_id = 'ch_3'") == [" 300"])
        try db.checkLedgerTotals()
    }
}
