import AttributionCore
import AttributionTestSupport
import GRDB
import Testing

@testable import AttributionStore

/// Version 5 keeps each partner's earliest evidence in `fact_partner_first`.
@Suite("Upgrading to schema version 5")
struct PartnerFirstMigrationTests {
    @Test("a version 4 database gets each partner's earliest evidence, ties broken by source, and later events build on it")
    func backfillThenApply() async throws {
        let queue = try DatabaseQueue()
        try AppDatabase.migrator.migrate(queue, upTo: "0004_partner_evidence_order")
        try await queue.write { db in
            // Evidence as version 4 stored it: p_a first seen at 100 by a signup and by Stripe (signup < stripe),
            // p_b at 300 and then, earlier, at 200.
            for (identity, ref, partner, at, source) in [
                ("k1", "e1", "p_a", 100, "stripe"), ("k2", "e2", "p_a", 100, "signup"),
                ("k3", "e3", "p_a", 150, "admin"), ("k4", "e4", "p_b", 300, "stripe"),
                ("k5", "e5", "p_b", 200, "stripe"),
            ] {
                try db.execute(
                    sql: """
                        INSERT INTO fact_partner_evidence (identity_kind, identity, ref, partner_key, at, source)
                        VALUES ('key', ?, ?, ?, ?, ?)
                        """, arguments: [identity, ref, partner, at, source])
            }
            try db.execute(
                sql: """
                    INSERT INTO partners (partner_key, created_at, source) VALUES
                        ('p_a', '1970-01-01T00:01:40Z', 'signup'), ('p_b', '1970-01-01T00:03:20Z', 'stripe')
                    """)
        }
        let db = AppDatabase(writer: queue, path: ":memory:")
        #expect(try db.migrate() == AppDatabase.migrationNames.count)
        #expect(
            try db.column("SELECT partner_key || '@' || at || ':' || source FROM fact_partner_first ORDER BY 1")
                == ["p_a@100:signup", "p_b@200:stripe"])
        #expect(try db.column("SELECT name FROM sqlite_master WHERE name = 'fact_partner_evidence_first'").isEmpty)

        // A later customer naming p_b leaves its row alone; an earlier one moves its start.
        try await db.deliver([
            EventFactory.customer(event: "evt_late", created: 400, id: "cus_L", key: "late@x", partner: "p_b"),
            EventFactory.customer(event: "evt_early", created: 50, id: "cus_E", key: "early@x", partner: "p_a"),
        ])
        try await db.applyAll(settings: ApplySettings())
        #expect(
            try db.column("SELECT partner_key || ' ' || created_at || ' ' || source FROM partners ORDER BY 1")
                == ["p_a 1970-01-01T00:00:50Z stripe", "p_b 1970-01-01T00:03:20Z stripe"])
    }
}
