import AttributionCore
import AttributionStore
import AttributionTestSupport
import Foundation
import Testing

/// `events list|show|retry|rebuild` and `status` on a database the worker has used.
@Suite("events and status subcommands")
struct EventsCommandTests {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("attributiond-cli-\(UUID()).sqlite").path

    func prepare() async throws -> AppDatabase {
        let db = try AppDatabase.open(path: path)
        try await db.deliver([
            EventFactory.customer(event: "evt_ok", created: 100, id: "cus_1", key: "k", partner: "p"),
            EventFactory.charge(event: "evt_charge", created: 110, id: "ch_1", amount: 900, customer: "cus_1"),
            EventFactory.envelope(id: "evt_bad", type: "charge.succeeded", created: 120, object: ["id": "ch_bad"]),
        ])
        _ = try await db.applyDue(settings: ApplySettings(), retry: RetryPolicy(maxAttempts: 1), now: 1_800_000_000)
        return db
    }

    func cleanup() { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + s) } }

    @Test("list filters by status; show prints the payload; retry --dead makes dead events pending")
    func listShowRetry() async throws {
        defer { cleanup() }
        _ = try await prepare()
        let (code, out, _) = try DaemonProcess.run(["events", "list", "--status", "dead", "--db", path])
        #expect(code == 0)
        #expect(out.contains("evt_bad") && !out.contains("evt_ok"))
        #expect(out.contains("missing or invalid charge amount"))

        let (showCode, shown, _) = try DaemonProcess.run(["events", "show", "evt_charge", "--db", path])
        #expect(showCode == 0)
        #expect(shown.contains(#""amount" : 900"#))
        #expect(try DaemonProcess.run(["events", "show", "evt_nope", "--db", path]).0 == 1)

        let (retryCode, retried, _) = try DaemonProcess.run(["events", "retry", "--dead", "--db", path])
        #expect(retryCode == 0)
        #expect(retried.hasPrefix("1 dead event(s) made pending"))
        #expect(try AppDatabase.open(path: path).inboxRow(eventId: "evt_bad")?.status == .pending)
    }

    @Test("rebuild re-derives the same tables and leaves every status; status counts the inbox")
    func rebuildAndStatus() async throws {
        defer { cleanup() }
        let db = try await prepare()
        let before = try db.domainDump()
        try await db.writer.write { db in try db.execute(sql: "DELETE FROM customers; DELETE FROM transactions") }
        let (code, out, _) = try DaemonProcess.run(["events", "rebuild", "--db", path])
        #expect(code == 0)
        #expect(out.contains("2 applied"))
        #expect(try db.domainDump() == before)

        let (statusCode, status, _) = try DaemonProcess.run(["status", "--db", path])
        #expect(statusCode == 0)
        #expect(status.contains("applied  2"))
        // The event that was dead before the rebuild is dead after it, not retried again.
        #expect(status.contains("dead     1"))
        #expect(status.contains("failed   0"))
    }
}
