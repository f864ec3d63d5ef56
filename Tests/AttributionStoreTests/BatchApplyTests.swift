import AttributionCore
import AttributionTestSupport
import Foundation
import GRDB
import Testing

@testable import AttributionStore

/// A batch is applied without savepoints first and again with one per event
/// only when an event fails while writing; these pin that the second run
/// gives what a savepoint per event always gave.
@Suite("Batched apply")
struct BatchApplyTests {
    typealias E = EventFactory

    /// An empty database whose write of one transaction row fails, as a full disk would.
    static func databaseRefusingTransaction(_ id: String) async throws -> AppDatabase {
        let db = try AppDatabase.makeEmpty()
        try await db.writer.write { db in
            try db.execute(
                sql: """
                    CREATE TRIGGER boom BEFORE INSERT ON transactions WHEN NEW.transaction_id = '\(id)'
                    BEGIN SELECT RAISE(ABORT, 'disk says no'); END
                    """)
        }
        return db
    }

    @Test("an event whose write fails mid-batch rolls back alone; the rest of the batch commits and it is tried once")
    func failingWriteRollsBackAlone() async throws {
        // Given a batch whose third event fails after its fact row was written
        let db = try await Self.databaseRefusingTransaction("ch_boom")
        try await db.deliver([
            E.customer(event: "e1", created: 100, id: "cus_1", key: "k1", partner: "p_1"),
            E.charge(event: "e2", created: 101, id: "ch_ok", amount: 100, customer: "cus_1"),
            E.charge(event: "e3", created: 102, id: "ch_boom", amount: 200, customer: "cus_1"),
            E.charge(event: "e4", created: 103, id: "ch_later", amount: 300, customer: "cus_1"),
        ])

        // When one batch takes them all
        let result = try await db.applyDue(settings: ApplySettings(), now: 1_800_000_000)

        // Then the others are applied, and the bad one failed once with its error and left no trace
        #expect(result.applied == ["e1", "e2", "e4"])
        #expect(result.failed.map(\.id) == ["e3"])
        let bad = try #require(try db.inboxRow(eventId: "e3"))
        #expect(bad.status == .failed)
        #expect(bad.attempts == 1)
        #expect(bad.lastError?.contains("disk says no") == true)
        #expect(try db.column("SELECT transaction_id FROM transactions ORDER BY transaction_id") == ["ch_later", "ch_ok"])
        #expect(try db.count("fact_charges", where: "charge_id = 'ch_boom'") == 0)
        #expect(try db.column("SELECT partner_key FROM customers") == ["p_1"])
    }

    /// A batch derives a charge's transaction once, at its end, however many of its events touched it.
    @Test("a charge and its refunds in one batch give the rows and commissions of one event per transaction")
    func chargeTouchedSeveralTimesInOneBatch() async throws {
        let events = [
            E.customer(event: "e1", created: 100, id: "cus_1", key: "k1", partner: "p_1"),
            E.charge(event: "e2", created: 101, id: "ch_1", amount: 1000, customer: "cus_1"),
            E.charge(event: "e3", type: "charge.refunded", created: 102, id: "ch_1", amount: 1000, refunded: 300, customer: "cus_1"),
            E.charge(event: "e4", type: "charge.refunded", created: 103, id: "ch_1", amount: 1000, refunded: 400, customer: "cus_1"),
            E.charge(event: "e5", created: 104, id: "ch_2", amount: 500, customer: "cus_1"),
            E.charge(event: "e6", type: "charge.refunded", created: 105, id: "ch_2", amount: 500, refunded: 500, customer: "cus_1"),
        ]
        var tables: [[String]] = []
        for limit in [200, 1] {
            let db = try AppDatabase.makeEmpty()
            try db.recordRuleChange(partnerKey: nil, productKey: nil, reward: .percent(bps: 1000), from: 0, now: 50)
            try await db.deliver(events)
            var applied = 0
            while case let result = try await db.applyDue(limit: limit, settings: ApplySettings(), now: 1_800_000_000),
                result.processed > 0
            {
                applied += result.applied.count
            }
            #expect(applied == events.count)
            tables.append(
                try db.column(
                    """
                    SELECT t.transaction_id || ' ' || t.amount_refunded || ' ' || ifnull(l.commission, '-')
                    FROM transactions t LEFT JOIN ledger_commissions l USING (transaction_id) ORDER BY 1
                    """
                ).compactMap { $0 })
        }
        // The newest refund counts, the fully refunded charge is gone, its commission with it.
        #expect(tables[0] == ["ch_1 400 60"])
        #expect(tables[0] == tables[1])
    }

    @Test("once the failing write succeeds, the retried event applies like any other")
    func retriedEventApplies() async throws {
        let db = try await Self.databaseRefusingTransaction("ch_boom")
        try await db.deliver([
            E.charge(event: "e1", created: 101, id: "ch_ok", amount: 100),
            E.charge(event: "e2", created: 102, id: "ch_boom", amount: 200),
        ])
        _ = try await db.applyDue(settings: ApplySettings(), now: 1_800_000_000)
        try await db.writer.write { try $0.execute(sql: "DROP TRIGGER boom") }

        let retry = try await db.applyDue(settings: ApplySettings(), now: 1_800_000_000 + 3600)

        #expect(retry.applied == ["e2"])
        #expect(try db.inboxRow(eventId: "e2")?.status == .applied)
        #expect(try db.column("SELECT transaction_id FROM transactions ORDER BY transaction_id") == ["ch_boom", "ch_ok"])
    }
}
