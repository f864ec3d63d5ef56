import AttributionCore
import AttributionStore
import AttributionTestSupport
import Foundation
import Testing

/// SIGTERM while deliveries are in flight (docs/events.md): each request is either
/// answered 200 and stored, or not answered at all; the daemon exits 0 in time.
@Suite("Graceful shutdown under load", .serialized)
struct GracefulShutdownTests {
    static let secret = "whsec_shutdown"

    @Test("SIGTERM under load: every 200 is stored, nothing else is answered, exit 0 within the stop timeout")
    func sigtermUnderLoad() async throws {
        let daemon = try DaemonProcess(environment: ["STRIPE_WEBHOOK_SECRET": Self.secret])
        defer { daemon.cleanup() }
        let events = TortureEvents.make(count: 3_000, prefix: "gs", seed: 11, now: Int(Date().timeIntervalSince1970))
        let outcomes = Outcomes()
        let next = Counter()
        let clients = ClientGroup()
        // Given four clients delivering as fast as they can, one connection per request
        for _ in 0..<4 {
            clients.start {
                while let index = next.take(below: events.count) {
                    let body = Array(events[index].payload.utf8)
                    let signature = StripeSignatureVerifier.header(
                        payload: body, secret: Self.secret,
                        timestamp: Int64(Date().timeIntervalSince1970))
                    guard let connection = try? RawHTTPConnection(port: daemon.port, timeout: 30) else {
                        outcomes.record(index, status: nil)
                        if !daemon.isRunning { return }
                        continue
                    }
                    connection.send(
                        RawHTTPConnection.request(
                            headers: [("Stripe-Signature", signature)], body: body,
                            keepAlive: false))
                    outcomes.record(index, status: connection.readResponse()?.status)
                }
            }
        }
        // When SIGTERM arrives mid-stream
        #expect(try await poll(seconds: 60) { outcomes.count(200) >= 300 })
        let started = Date()
        let code = try daemon.stop(signal: SIGTERM, timeout: 20)
        let took = Date().timeIntervalSince(started)
        _ = await clients.wait(timeout: 60)

        // Then it exits 0 in time, and every request answered 200 is stored
        #expect(code == 0)
        #expect(took < 20, "stopped in \(took) s")
        let db = try AppDatabase.open(path: daemon.databasePath, readonly: true)
        let stored = Set(try db.column("SELECT event_id FROM inbox_events").compactMap { $0 })
        let acked = outcomes.indices(200)
        #expect(acked.allSatisfy { stored.contains(events[$0].id) }, "an event answered 200 is missing")
        let others = outcomes.statuses.filter { $0.key != 200 }
        #expect(others.isEmpty, "answers other than 200 or none: \(others)")
        print("graceful shutdown: acknowledged \(acked.count), not answered \(outcomes.count(nil)), lost 0, stopped in \(took) s")
    }
}

/// Per request: the status it got, or nil for no answer (closed, refused).
final class Outcomes: @unchecked Sendable {  // behind `lock`
    private let lock = NSLock()
    private var byStatus: [Int?: [Int]] = [:]
    func record(_ index: Int, status: Int?) { lock.withLock { byStatus[status, default: []].append(index) } }
    func count(_ status: Int?) -> Int { lock.withLock { byStatus[status]?.count ?? 0 } }
    func indices(_ status: Int?) -> [Int] { lock.withLock { byStatus[status] ?? [] } }
    var statuses: [Int: Int] {
        lock.withLock { Dictionary(uniqueKeysWithValues: byStatus.compactMap { k, v in k.map { ($0, v.count) } }) }
    }
}

/// A shared index handed out once each.
final class Counter: @unchecked Sendable {  // behind `lock`
    private let lock = NSLock()
    private var value = 0
    func take(below limit: Int) -> Int? {
        lock.withLock {
            guard value < limit else { return nil }
            defer { value += 1 }
            return value
        }
    }
}
