import AttributionStore
import AttributionTestSupport
import Foundation
import GRDB
import Testing

@Suite("Migrations and database settings")
struct MigrationTests {
    @Test("the migrations embedded in the binary equal the files in migrations/")
    func embeddedEqualsFolder() throws {
        let folder = Fixtures.repository.appendingPathComponent("migrations")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".sql") }.sorted()
        #expect(files.map { String($0.dropLast(4)) } == AppDatabase.migrationNames)
        for (file, sql) in zip(files, AppDatabase.migrationSQL) {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            #expect(
                text.trimmingCharacters(in: .newlines) == sql.trimmingCharacters(in: .newlines),
                "\(file) differs from the embedded copy: run scripts/embed-migrations")
        }
    }

    @Test("a file database is in WAL mode with synchronous=FULL, foreign keys, a busy timeout and temporary files in memory")
    func pragmas() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("attributiond-\(UUID())")
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = try AppDatabase.open(path: dir.appendingPathComponent("a.sqlite").path)
        let pragmas = try db.pragmas()
        #expect(pragmas["journal_mode"] == "wal")
        #expect(pragmas["synchronous"] == "2")
        // The worker's savepoint journals stay off the disk (see AppDatabase.configureWriter).
        #expect(pragmas["temp_store"] == "2")
        #expect(pragmas["foreign_keys"] == "1")
        #expect(pragmas["busy_timeout"] == "5000")
        #expect(pragmas["user_version"] == String(AppDatabase.migrationNames.count))
    }

    @Test("migrating twice is a no-op and every public table and view exists")
    func idempotentMigrations() throws {
        let db = try AppDatabase.makeEmpty()
        #expect(try db.migrate() == AppDatabase.migrationNames.count)
        let names = try db.column("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')").compactMap { $0 }
        for name in [
            "inbox_events", "partners", "customers", "transactions", "subscriptions", "reward_rules",
            "attributed_transactions", "partner_summary",
        ] {
            #expect(names.contains(name), "missing \(name)")
        }
    }

    @Test("a Stripe customer's best key link is read from an index in link order, without a sort")
    func keyLinkPlan() throws {
        let plan = try queryPlan(
            """
            SELECT customer_key FROM fact_key_links WHERE stripe_customer_id = 'cus_1'
            ORDER BY priority, at, ref LIMIT 1
            """)
        #expect(plan.contains { $0.contains("USING COVERING INDEX fact_key_links_customer") }, "\(plan)")
        #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "\(plan)")
    }

    @Test("an identity's facts are found by key, never by a scan: what re-derivation reads does not grow with history")
    func identityFactPlans() throws {
        for sql in [
            "SELECT stripe_customer_id FROM fact_key_links WHERE customer_key = 'k' ORDER BY priority, at, ref",
            "SELECT first_at FROM fact_keys WHERE customer_key = 'k'",
            """
            SELECT first_at, partner_key, last_at FROM fact_identity_partners
            WHERE (identity_kind = 'key' AND identity = 'k') OR (identity_kind = 'customer' AND identity = 'cus_1')
            """,
        ] {
            let plan = try queryPlan(sql)
            #expect(plan.allSatisfy { !$0.hasPrefix("SCAN") }, "\(sql)\n\(plan)")
            #expect(plan.contains { $0.contains("PRIMARY KEY") || $0.contains("sqlite_autoindex") }, "\(sql)\n\(plan)")
        }
    }

    private func queryPlan(_ sql: String) throws -> [String] {
        let db = try AppDatabase.makeEmpty()
        return try db.writer.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql).map { $0["detail"] as String }
        }
    }

    @Test("CHECK constraints refuse values outside the enumerations")
    func checks() throws {
        let db = try AppDatabase.makeEmpty()
        #expect(throws: (any Error).self) {
            try db.writer.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO inbox_events (event_id, type, livemode, stripe_created_at, received_at, payload, status)
                        VALUES ('e', 't', 1, 'x', 'x', '{}', 'done')
                        """)
            }
        }
        #expect(throws: (any Error).self) {
            try db.writer.write { db in
                try db.execute(sql: "INSERT INTO partners (partner_key, created_at, source) VALUES ('p', 'x', 'magic')")
            }
        }
    }
}
