import AttributionStore
import AttributionTestSupport
import Foundation
import Testing

/// SIGTERM with a large backlog: the worker finishes the batch it is in and
/// stops, rather than draining the whole inbox past systemd's stop timeout.
@Suite("Shutdown with a backlog", .serialized)
struct ShutdownBacklogTests {
    /// A small `charge.succeeded` payload; written by hand because building
    /// 100,000 through JSONSerialization costs more than the test itself.
    static func charge(_ n: Int) -> String {
        """
        {"id":"evt_bl_\(n)","object":"event","type":"charge.succeeded","created":1790000000,"livemode":true,\
        "api_version":"2026-07-29.dahlia","pending_webhooks":1,"data":{"object":{"id":"ch_bl_\(n)","object":"charge",\
        "created":1790000000,"amount":1000,"amount_captured":1000,"amount_refunded":0,"refunded":false,\
        "captured":true,"currency":"usd","customer":"cus_bl_\(n % 5000)","status":"succeeded","paid":true,\
        "livemode":true,"metadata":{"customer_key":"ck_\(n % 5000)","partner_key":"pk_\(n % 50)"},\
        "payment_intent":null}}}
        """
    }

    @Test("SIGTERM with 100,000 events waiting: exit 0 within 5 s, the rest left pending")
    func sigtermWithBacklog() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("attributiond-backlog-\(UUID())")
        let path = directory.appendingPathComponent("attribution.sqlite").path
        // Given an inbox of 100,000 undelivered charges
        do {
            let db = try AppDatabase.open(path: path)
            let total = 100_000
            for start in stride(from: 0, to: total, by: 5_000) {
                try await db.deliver((start..<min(start + 5_000, total)).map(Self.charge))
            }
        }
        let daemon = try DaemonProcess(
            environment: ["STRIPE_WEBHOOK_SECRET": "whsec_backlog"], directory: directory,
            databasePath: path)
        defer { daemon.cleanup() }
        // When the worker is busy with it and SIGTERM arrives
        #expect(
            try await poll(seconds: 60) {
                let db = try AppDatabase.open(path: path, readonly: true)
                return try db.count("inbox_events", where: "status = 'applied'") > 0
            })
        let started = Date()
        let code = try daemon.stop(signal: SIGTERM, timeout: 30)
        let took = Date().timeIntervalSince(started)

        // Then it exits 0 within 5 s, and what it did not reach is still pending for the next start
        #expect(code == 0)
        #expect(took < 5, "stopped in \(took) s")
        let db = try AppDatabase.open(path: path, readonly: true)
        let pending = try db.count("inbox_events", where: "status = 'pending'")
        #expect(pending > 0, "the whole backlog was drained before exiting")
        #expect(try db.count("inbox_events", where: "status IN ('failed', 'dead')") == 0)
        print("shutdown with backlog: stopped in \(took) s, \(pending) events left pending")
    }
}
