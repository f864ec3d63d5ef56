import ArgumentParser
import AttributionCore
import AttributionStore
import Foundation
import GRDB
import HTTPTypes
import Hummingbird

/// A second yardstick for ingest: the intake design the speed issue describes
/// and nothing more. Hummingbird reads the body, the signature is verified and
/// the envelope decoded with the daemon's own code, and one writer commits
/// every waiting row (`event_id`, `payload`) in one transaction under
/// `synchronous=FULL` before those requests are answered. No migrations, no
/// metrics, no logging, no worker applying what arrives.
///
/// Measured next to `attributiond serve` in the same run, it tells how much of
/// the gap to the bare endpoint is the daemon's own and how much is the design's.
/// It runs the daemon's SQLite settings (`AppDatabase.sqliteConfigured`), so
/// the two differ only in what they do with each request.
struct ReferenceIntakeServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reference-intake",
        abstract: "Serve the reference intake (verify, decode, group commit).")
    @Option var port = 0
    @Option var db: String
    @Option var secret: String
    @Option(help: "Signature timestamp tolerance in seconds.") var tolerance: Int64 = 300

    func run() async throws {
        _ = AppDatabase.sqliteConfigured
        var config = Configuration()
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL") }
        let queue = try DatabaseQueue(path: db, configuration: config)
        try await queue.write { db in
            try db.execute(sql: "CREATE TABLE IF NOT EXISTS inbox (event_id TEXT PRIMARY KEY, payload TEXT NOT NULL)")
        }
        let writer = GroupCommitWriter(queue: queue)
        let verifier = StripeSignatureVerifier(secrets: [secret], tolerance: tolerance)
        let signature = HTTPField.Name("Stripe-Signature")!
        let router = Router()
        router.post("/webhooks/stripe") { request, _ -> Response in
            var request = request
            let bytes = try await request.collectBody(upTo: 1 << 20).readableBytesView
            let envelope: StripeEnvelope
            do {
                try verifier.verify(payload: bytes, header: request.headers[signature], now: Int64(Date().timeIntervalSince1970))
                envelope = try StripeEnvelope.decode(bytes)
            } catch {
                return Response(status: .badRequest)
            }
            try await writer.submit(eventId: envelope.id, payload: String(decoding: bytes, as: UTF8.self))
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: #"{"received":true}"#)))
        }
        try await BareServer.serve(router, port: port)
    }
}

/// Group commit reduced to its core: whoever finds the writer idle starts a
/// flush, which commits everything waiting, answers it, and loops.
private actor GroupCommitWriter {
    let queue: DatabaseQueue
    var waiting: [(eventId: String, payload: String, done: CheckedContinuation<Void, any Error>)] = []
    var flushing = false

    init(queue: DatabaseQueue) { self.queue = queue }

    func submit(eventId: String, payload: String) async throws {
        try await withCheckedThrowingContinuation { done in
            waiting.append((eventId, payload, done))
            if !flushing {
                flushing = true
                Task { await flush() }
            }
        }
    }

    private func flush() async {
        while !waiting.isEmpty {
            let batch = waiting
            waiting = []
            do {
                try await queue.write { db in
                    let insert = try db.cachedStatement(sql: "INSERT INTO inbox VALUES (?, ?) ON CONFLICT DO NOTHING")
                    for item in batch { try insert.execute(arguments: [item.eventId, item.payload]) }
                }
                for item in batch { item.done.resume() }
            } catch {
                for item in batch { item.done.resume(throwing: error) }
            }
        }
        flushing = false
    }
}
