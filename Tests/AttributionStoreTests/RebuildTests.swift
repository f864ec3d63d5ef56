import AttributionCore
import AttributionStore
import AttributionTestSupport
import Foundation
import GRDB
import Testing

/// `rebuild` on a database file: the tables come from the applied events
/// alone, no inbox status changes, and the writer stays free for intake.
@Suite("Rebuild through a shadow database", .serialized)
struct RebuildTests {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("attributiond-rebuild-\(UUID()).sqlite").path

    func cleanup() {
        for s in ["", "-wal", "-shm", ".rebuild", ".rebuild-journal"] { try? FileManager.default.removeItem(atPath: path + s) }
    }

    static func charge(_ n: Int, prefix: String = "rb") -> String {
        EventFactory.charge(
            event: "evt_\(prefix)_\(n)", created: 1_790_000_000 + n, id: "ch_\(prefix)_\(n)",
            amount: 1000 + n, customer: "cus_\(n % 7)", key: "ck_\(n % 7)", partner: "pk_\(n % 3)")
    }

    @Test("a file database rebuilds to the incremental state; dead, failed and pending events keep their status")
    func statusesKept() async throws {
        defer { cleanup() }
        let db = try AppDatabase.open(path: path)
        try await db.deliver(
            (0..<40).map { Self.charge($0) } + [
                EventFactory.envelope(id: "evt_dead", type: "charge.succeeded", created: 120, object: ["id": "ch_dead"])
            ])
        try await db.applyAll(settings: ApplySettings())
        // One more bad event, tried once so it is `failed`; then the dead one made dead.
        try await db.deliver([
            EventFactory.envelope(
                id: "evt_failed", type: "charge.succeeded", created: 130,
                object: ["id": "ch_failed"])
        ])
        _ = try await db.applyDue(settings: ApplySettings(), retry: RetryPolicy(maxAttempts: 5), now: 1_800_000_000)
        try await db.writer.write { try $0.execute(sql: "UPDATE inbox_events SET status = 'dead' WHERE event_id = 'evt_dead'") }
        try await db.deliver([Self.charge(99)])  // pending, never applied: it must not show up in the tables
        let incremental = try db.domainDump()
        let statuses = try db.column("SELECT event_id || ' ' || status || ' ' || attempts FROM inbox_events ORDER BY seq")

        try await db.writer.write { try $0.execute(sql: "DELETE FROM customers; DELETE FROM transactions") }
        let result = try db.rebuild(settings: ApplySettings(), now: 1_800_000_100)

        #expect(result.applied.count == 40)
        #expect(try db.domainDump() == incremental)
        #expect(try db.column("SELECT event_id || ' ' || status || ' ' || attempts FROM inbox_events ORDER BY seq") == statuses)
        #expect(!FileManager.default.fileExists(atPath: path + ".rebuild"), "the shadow database is left behind")
    }

    @Test("an applied event that no longer applies stops the rebuild and changes nothing")
    func failureSwapsNothing() async throws {
        defer { cleanup() }
        let db = try AppDatabase.open(path: path)
        try await db.deliver((0..<10).map { Self.charge($0) })
        try await db.applyAll(settings: ApplySettings())
        let before = try db.domainDump()
        try await db.writer.write { db in
            try db.execute(sql: "UPDATE inbox_events SET payload = '{\"id\":\"evt_rb_3\"}' WHERE event_id = 'evt_rb_3'")
        }
        #expect(throws: StoreError.self) { try db.rebuild(settings: ApplySettings(), now: 1) }
        do { try db.rebuild(settings: ApplySettings(), now: 1) } catch { #expect("\(error)".contains("evt_rb_3")) }
        #expect(try db.domainDump() == before)
    }

    @Test("webhooks stored and applied during a rebuild of 100,000 events all succeed and all count")
    func intakeDuringRebuild() async throws {
        defer { cleanup() }
        let db = try AppDatabase.open(path: path)
        // The intake has a connection of its own, as the daemon does beside `events rebuild`:
        // a rebuild that held the write lock would make its writes fail after the busy timeout.
        let intake = try AppDatabase.open(path: path, busyTimeout: 2)
        for start in stride(from: 0, to: 100_000, by: 5_000) {
            try await db.deliver((start..<start + 5_000).map { Self.fastCharge($0) })
        }
        try await db.writer.write { try $0.execute(sql: "UPDATE inbox_events SET status = 'applied'") }
        try db.rebuild(settings: ApplySettings(), now: 1)  // the tables for those 100,000
        let done = Done()
        let rebuilding = Task.detached {
            defer { done.set() }
            return try db.rebuild(settings: ApplySettings(), now: 2)
        }
        // While it runs, deliveries keep being stored and applied, each within the busy timeout.
        var delivered = 0
        var failures: [String] = []
        repeat {
            do {
                try await intake.deliver([Self.charge(delivered, prefix: "live")])
                _ = try await intake.applyDue(settings: ApplySettings(), now: 1_800_000_000)
            } catch { failures.append("\(error)") }
            delivered += 1
        } while !done.isSet && delivered < 100_000
        _ = try await rebuilding.value
        #expect(failures.isEmpty, "\(failures.prefix(3))")
        #expect(delivered > 1, "the rebuild ended before any delivery: nothing was tested")
        // Every event applied during the rebuild is in the swapped-in tables.
        #expect(try db.count("transactions") == 100_000 + delivered)
        let incremental = try db.domainDump()
        try db.rebuild(settings: ApplySettings(), now: 3)
        #expect(try db.domainDump() == incremental)
    }

    /// A charge payload written by hand: 100,000 through JSONSerialization would outlast the test.
    static func fastCharge(_ n: Int) -> String {
        """
        {"id":"evt_big_\(n)","object":"event","type":"charge.succeeded","created":1790000000,"livemode":true,\
        "api_version":"2026-07-29.dahlia","pending_webhooks":1,"data":{"object":{"id":"ch_big_\(n)","object":"charge",\
        "created":1790000000,"amount":1000,"amount_captured":1000,"amount_refunded":0,"refunded":false,\
        "captured":true,"currency":"usd","customer":"cus_big_\(n % 5000)","status":"succeeded","paid":true,\
        "livemode":true,"metadata":{"customer_key":"ck_\(n % 5000)","partner_key":"pk_\(n % 50)"},\
        "payment_intent":null}}}
        """
    }
}

/// Set once, read from another task.
final class Done: @unchecked Sendable {  // behind `lock`
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
