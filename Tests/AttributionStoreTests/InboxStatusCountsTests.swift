import AttributionCore
import AttributionTestSupport
import Foundation
import GRDB
import Testing

@testable import AttributionStore

/// `status`, the metrics and `events list --status` count and find events
/// through partial indexes the intake never writes (0017); what they report
/// must be what a plain count of the rows says.
@Suite("Inbox status counts")
struct InboxStatusCountsTests {
    /// Nine events, one stored per second from t=100, with every status and every origin.
    static func inbox() async throws -> AppDatabase {
        let db = try AppDatabase.makeEmpty()
        let statuses = ["applied", "pending", "ignored", "failed", "applied", "dead", "ignored", "pending", "ignored"]
        let origins: [InboxOrigin] = [.webhook, .webhook, .import, .backfill, .webhook, .admin, .webhook, .import, .webhook]
        for (i, origin) in origins.enumerated() {
            let payload = EventFactory.charge(event: "evt_\(i)", created: 1, id: "ch_\(i)", amount: 10)
            try await db.insert(
                [
                    NewInboxEvent(
                        eventId: "evt_\(i)", type: "charge.succeeded", livemode: true, apiVersion: nil, stripeCreated: 1,
                        payload: payload, origin: origin)
                ], receivedAt: Int64(100 + i))
        }
        try await db.writer.write { db in
            for (i, status) in statuses.enumerated() {
                try db.execute(sql: "UPDATE inbox_events SET status = ? WHERE event_id = ?", arguments: [status, "evt_\(i)"])
            }
        }
        return db
    }

    @Test("the counts by status and by origin are those of the rows themselves")
    func countsMatchTheRows() async throws {
        let db = try await Self.inbox()
        let status = try await db.inboxStatus(now: 200)
        #expect(status.counts == [.applied: 2, .pending: 2, .ignored: 3, .failed: 1, .dead: 1])
        #expect(status.origins == [.webhook: 5, .import: 2, .backfill: 1, .admin: 1])
        let byStatus = try db.column("SELECT status || ' ' || count(*) FROM inbox_events NOT INDEXED GROUP BY status")
        #expect(byStatus.compactMap { $0 }.sorted() == status.counts.map { "\($0.key.rawValue) \($0.value)" }.sorted())
    }

    @Test("the oldest event still to do is the first pending or failed; the last received is the newest row")
    func oldestAndLast() async throws {
        let db = try await Self.inbox()
        let status = try await db.inboxStatus(now: 200)
        #expect(status.oldestPendingAgeSeconds == 200 - 101)
        #expect(status.lastReceivedAt == Timestamp.iso(108))
        try await db.writer.write { db in try db.execute(sql: "UPDATE inbox_events SET status = 'applied' WHERE event_id = 'evt_1'") }
        #expect(try await db.inboxStatus(now: 200).oldestPendingAgeSeconds == 200 - 103)
    }

    @Test("events list by status finds exactly the events of that status, newest first")
    func listByStatus() async throws {
        let db = try await Self.inbox()
        for status in InboxStatus.allCases {
            let expected = try db.column(
                "SELECT event_id FROM inbox_events NOT INDEXED WHERE status = ? ORDER BY seq DESC", [status.rawValue])
            #expect(try db.inboxRows(status: status).map(\.eventId) == expected, "status \(status.rawValue)")
        }
        #expect(try db.inboxRows(status: .ignored, origin: .webhook).map(\.eventId) == ["evt_8", "evt_6"])
        #expect(try db.inboxRows(status: .pending, origin: .import).map(\.eventId) == ["evt_7"])
    }

    @Test("an inbox whose events are all still pending has nothing applied")
    func appliedEvents() async throws {
        let db = try AppDatabase.makeEmpty()
        let payload = EventFactory.charge(event: "evt_0", created: 1, id: "ch_0", amount: 10)
        try await db.insert([NewInboxEvent(event: try StripeEvent.decode(Array(payload.utf8)), payload: payload)], receivedAt: 1)
        #expect(try db.hasAppliedEvents() == false)
        try await db.writer.write { db in try db.execute(sql: "UPDATE inbox_events SET status = 'ignored'") }
        #expect(try db.hasAppliedEvents() == false)
        try await db.writer.write { db in try db.execute(sql: "UPDATE inbox_events SET status = 'applied'") }
        #expect(try db.hasAppliedEvents() == true)
    }
}

/// What SQLite does for each stored webhook (0017): a CHECK or a partial
/// index condition `x IN (a, b, c, …)` of more than two values makes it build
/// a temporary table of the values for every row, measured at about 1.5 µs
/// each on the path every webhook waits on.
@Suite("Inbox writes")
struct InboxWriteCostTests {
    /// The opcodes of the statement's own program, prepared and not run. The
    /// programs of the triggers it fires follow it, each from its own `Init`,
    /// and are left out: the checks and indexes of the table are in the first.
    static func opcodes(_ sql: String, in db: AppDatabase) throws -> ArraySlice<String> {
        let all = try allOpcodes(sql, in: db)
        return all.prefix(upTo: all.dropFirst().firstIndex(of: "Init") ?? all.endIndex)
    }

    /// Every opcode of the statement and of the trigger programs it fires, prepared and not run.
    static func allOpcodes(_ sql: String, in db: AppDatabase) throws -> [String] {
        try db.writer.read { db in
            let statement = try db.makeStatement(sql: "EXPLAIN " + sql)
            // One NULL per parameter: numbered ones (`?1`, `?2`) may repeat.
            let numbered = sql.matches(of: try Regex(#"\?([0-9]+)"#)).compactMap { Int(sql[$0.range].dropFirst()) }.max()
            let count = numbered ?? sql.filter { $0 == "?" }.count
            let nulls = StatementArguments(Array(repeating: DatabaseValue.null, count: count))
            return try Row.fetchAll(statement, arguments: nulls).map { $0["opcode"] as String }
        }
    }

    @Test(
        "storing an event and changing its status build no temporary table per row",
        arguments: [
            AppDatabase.insertSQL,
            "UPDATE inbox_events SET status = ?, applied_at = ?, last_error = NULL, next_attempt_at = NULL WHERE seq = ?",
            "UPDATE inbox_events SET status = ?, attempts = ?, last_error = ?, next_attempt_at = ? WHERE seq = ?",
        ])
    func noTemporaryTables(sql: String) throws {
        let db = try AppDatabase.makeEmpty()
        let opcodes = try Self.opcodes(sql, in: db)
        #expect(opcodes.contains("Halt"))
        #expect(!opcodes.contains("OpenEphemeral"))
    }

    @Test("no table's checks or partial indexes build a temporary table when a row is written")
    func noTableBuildsTemporaryTables() throws {
        let db = try AppDatabase.makeEmpty()
        let tables = try db.column(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'grdb_%'")
        #expect(tables.count > 10)
        for case let table? in tables {
            let opcodes = try Self.opcodes("INSERT INTO \(table) DEFAULT VALUES", in: db)
            #expect(!opcodes.contains("OpenEphemeral"), "table \(table)")
        }
    }

    /// The worker writes one row at a time, by key, as these statements do.
    @Test(
        "the ledger's triggers note a changed row without a temporary table",
        arguments: [
            "INSERT INTO transactions (transaction_id) VALUES ('t')", "UPDATE transactions SET amount = 1 WHERE transaction_id = 't'",
            "DELETE FROM transactions WHERE transaction_id = 't'", "INSERT INTO customers (customer_key) VALUES ('k')",
            "UPDATE customers SET email = 'e' WHERE id = 1", "DELETE FROM customers WHERE id = 1",
            "INSERT INTO partners (partner_key, email, created_at, source) VALUES ('p', 'e', 't', 'admin')",
            "UPDATE partners SET email = 'f' WHERE partner_key = 'p'",
        ])
    func ledgerTriggersBuildNoTemporaryTables(sql: String) throws {
        let db = try AppDatabase.makeEmpty()
        let opcodes = try Self.allOpcodes(sql, in: db)
        // The trigger's program is there (it writes ledger_dirty), and it copies nothing aside.
        #expect(opcodes.filter { $0 == "Init" }.count >= 2)
        #expect(!opcodes.contains("OpenEphemeral"))
    }

    /// What the worker reads back for each charge, customer and subscription event
    /// (and, in invoice mode, for each charge's invoices).
    @Test(
        "the worker's per-event reads of merged facts build no temporary table",
        arguments: [
            Projector.ChargeFact.select, Projector.PartnerFact.select, Projector.CustomerFact.select,
            Projector.KeyFact.select, Projector.SubscriptionFact.select, Projector.InvoiceFact.select,
            Projector.chargePaysInvoice, Projector.invoicesPaidByCharge,
        ])
    func factReadsBuildNoTemporaryTables(sql: String) throws {
        let db = try AppDatabase.makeEmpty()
        let opcodes = try Self.allOpcodes(sql, in: db)
        #expect(opcodes.contains("ResultRow"))
        // A dispute status list written `IN (…)` of three values made one on every charge.
        #expect(!opcodes.contains("OpenEphemeral"))
    }

    @Test("a row changed twice in one event is noted once, also under the worker's upserts")
    func ledgerNoteIsKeptOnce() throws {
        let db = try AppDatabase.makeEmpty()
        let upsert = """
            INSERT INTO partners (partner_key, email, created_at, source) VALUES ('p_1', ?, '2026-01-01T00:00:00Z', 'admin')
            ON CONFLICT (partner_key) DO UPDATE SET email = excluded.email
            """
        let notes = try db.writer.write { db in
            // The DO UPDATE runs with ABORT, which a trigger's `OR IGNORE` would have inherited and failed on.
            for email in ["a@example.com", "b@example.com", "c@example.com"] {
                try db.execute(sql: upsert, arguments: [email])
            }
            try db.execute(sql: "UPDATE OR ROLLBACK partners SET email = 'd@example.com'")
            return try Row.fetchAll(db, sql: "SELECT kind, id FROM ledger_dirty").map { "\($0[0] as String) \($0[1] as String)" }
        }
        #expect(notes == ["p p_1"])
    }

    @Test("the rewritten checks still refuse a status or an origin outside the schema's")
    func checksStillHold() async throws {
        let db = try AppDatabase.makeEmpty()
        let payload = EventFactory.charge(event: "evt_0", created: 1, id: "ch_0", amount: 10)
        try await db.insert([NewInboxEvent(event: try StripeEvent.decode(Array(payload.utf8)), payload: payload)], receivedAt: 1)
        for change in ["status = 'done'", "origin = 'mail'", "status = NULL"] {
            #expect(throws: DatabaseError.self, "SET \(change)") {
                try db.writer.write { db in try db.execute(sql: "UPDATE inbox_events SET \(change)") }
            }
        }
        for status in InboxStatus.allCases {
            try await db.writer.write { db in try db.execute(sql: "UPDATE inbox_events SET status = ?", arguments: [status.rawValue]) }
        }
        for origin in InboxOrigin.allCases {
            try await db.writer.write { db in try db.execute(sql: "UPDATE inbox_events SET origin = ?", arguments: [origin.rawValue]) }
        }
    }
}
