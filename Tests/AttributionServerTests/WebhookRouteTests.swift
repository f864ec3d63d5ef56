import AttributionServer
import AttributionStore
import AttributionTestSupport
import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// Every row of docs/events.md's webhook contract, through the real router, checking
/// the status and what the inbox holds afterwards.
@Suite("POST /webhooks/stripe")
struct WebhookRouteTests {
    let payload = EventFactory.customer(event: "evt_route_1", created: 1_799_999_000, id: "cus_R", key: "r@x")

    func post(_ app: TestApp, body: String, signature: String?) async throws -> (HTTPResponse.Status, String) {
        let application = buildApplication(
            settings: app.settings, database: app.database, logger: Logger(label: "test"),
            clock: { TestApp.now })
        return try await application.test(.router) { client in
            var headers: HTTPFields = [.contentType: "application/json"]
            if let signature { headers[HTTPField.Name("Stripe-Signature")!] = signature }
            let response = try await client.execute(
                uri: "/webhooks/stripe", method: .post, headers: headers,
                body: ByteBuffer(string: body))
            return (response.status, String(buffer: response.body))
        }
    }

    @Test("a correctly signed event is stored byte for byte, then answered 200")
    func accepted() async throws {
        let app = try TestApp()
        defer { app.cleanup() }
        let (status, body) = try await post(app, body: payload, signature: TestApp.signed(payload))
        #expect(status == .ok)
        #expect(body.contains(#""received":true"#))
        let row = try #require(try app.database.inboxRow(eventId: "evt_route_1"))
        #expect(row.payload == payload)
        #expect(row.type == "customer.created")
        #expect(row.apiVersion == "2026-07-29.dahlia")
    }

    @Test("a duplicate delivery answers 200 and changes nothing")
    func duplicate() async throws {
        let app = try TestApp()
        defer { app.cleanup() }
        _ = try await post(app, body: payload, signature: TestApp.signed(payload))
        let before = try app.database.inboxRow(eventId: "evt_route_1")
        let (status, body) = try await post(app, body: payload, signature: TestApp.signed(payload, at: TestApp.now - 10))
        #expect(status == .ok)
        #expect(body.contains(#""duplicate":true"#))
        #expect(try app.database.inboxRow(eventId: "evt_route_1") == before)
        #expect(try app.database.count("inbox_events") == 1)
    }

    @Test("the second configured secret is accepted (rotation)")
    func rotation() async throws {
        let app = try TestApp()
        defer { app.cleanup() }
        #expect(try await post(app, body: payload, signature: TestApp.signed(payload, secret: "whsec_old")).0 == .ok)
    }

    @Test(
        "missing, malformed, wrong, stale or future signatures answer 400 with a JSON error and write nothing",
        arguments: [
            ("missing", nil), ("malformed", "t=abc,v1=00"), ("no v1", "t=1800000000,v0=abcd"),
            (
                "wrong secret",
                TestApp.signed(
                    EventFactory.customer(event: "evt_route_1", created: 1_799_999_000, id: "cus_R", key: "r@x"), secret: "whsec_other")
            ),
            (
                "stale",
                TestApp.signed(
                    EventFactory.customer(event: "evt_route_1", created: 1_799_999_000, id: "cus_R", key: "r@x"), at: TestApp.now - 301)
            ),
            (
                "future",
                TestApp.signed(
                    EventFactory.customer(event: "evt_route_1", created: 1_799_999_000, id: "cus_R", key: "r@x"), at: TestApp.now + 301)
            ),
        ] as [(String, String?)])
    func badSignature(_ name: String, _ signature: String?) async throws {
        let app = try TestApp()
        defer { app.cleanup() }
        let (status, body) = try await post(app, body: payload, signature: signature)
        #expect(status == .badRequest, "\(name)")
        #expect(body.hasPrefix(#"{"error":"#))
        #expect(try app.database.count("inbox_events") == 0)
    }

    @Test(
        "a signed body that is not a Stripe event answers 400 and writes nothing",
        arguments: [
            "not json", #"{"id":"evt_1","object":"event"}"#, #"{"id":"evt_1","type":"x","created":1,"data":{}}"#,
            // Broken JSON deep inside data.object, which the worker could never read.
            "{\"id\":\"evt_1\",\"type\":\"x\",\"created\":1,\"data\":{\"object\":{\"name\":\"a\u{1}b\"}}}",
            #"{"id":"evt_1","type":"x","created":1,"data":{"object":{"amount":1e400}}}"#,
        ])
    func notAnEvent(_ body: String) async throws {
        let app = try TestApp()
        defer { app.cleanup() }
        let (status, text) = try await post(app, body: body, signature: TestApp.signed(body))
        #expect(status == .badRequest)
        #expect(text.contains("not"))
        #expect(try app.database.count("inbox_events") == 0)
    }

    @Test(
        "a signed webhook carrying one of the daemon's own event types (a payout, a rule) answers 400 and writes nothing",
        arguments: ["attributiond.payout", "attributiond.reward_rule", "attributiond.signup", "attributiond.import"])
    func daemonOwnType(_ type: String) async throws {
        let app = try TestApp()
        defer { app.cleanup() }
        let body = EventFactory.envelope(id: "evt_forged", type: type, created: 1_799_999_000, object: ["id": "po_1"])
        let (status, text) = try await post(app, body: body, signature: TestApp.signed(body))
        #expect(status == .badRequest)
        #expect(text.contains("written by attributiond itself"))
        #expect(try app.database.count("inbox_events") == 0)
    }

    @Test("a body over the limit answers 413 and writes nothing")
    func tooLarge() async throws {
        let app = try TestApp()
        defer { app.cleanup() }
        let big = EventFactory.envelope(
            id: "evt_big", type: "customer.created", created: 1,
            object: ["id": "cus_big", "padding": String(repeating: "x", count: 1 << 20)])
        let (status, _) = try await post(app, body: big, signature: TestApp.signed(big))
        #expect(status == .contentTooLarge)
        #expect(try app.database.count("inbox_events") == 0)
    }

    @Test("a database locked past its busy timeout answers 503; once released, the retry is stored")
    func unavailable() async throws {
        let app = try TestApp(busyTimeout: 0.2)
        defer { app.cleanup() }
        // Another process (here: connection) holds the write lock, as a busy sqlite3 shell would.
        let other = try lockingConnection(app.path)
        try other.inDatabase { db in try db.execute(sql: "BEGIN IMMEDIATE") }
        let (status, body) = try await post(app, body: payload, signature: TestApp.signed(payload))
        #expect(status == .serviceUnavailable)
        #expect(body.contains("retry"))
        try other.inDatabase { db in try db.execute(sql: "ROLLBACK") }
        #expect(try app.database.count("inbox_events") == 0)
        #expect(try await post(app, body: payload, signature: TestApp.signed(payload)).0 == .ok)
        #expect(try app.database.count("inbox_events") == 1)
    }

    @Test("/healthz answers 200")
    func healthz() async throws {
        let app = try TestApp()
        defer { app.cleanup() }
        let application = buildApplication(settings: app.settings, database: app.database, logger: Logger(label: "test"))
        try await application.test(.router) { client in
            let response = try await client.execute(uri: "/healthz", method: .get)
            #expect(response.status == .ok)
        }
    }

    @Test("/readyz answers 200 with the worker running, 503 when the database is not writable")
    func readyz() async throws {
        let app = try TestApp(busyTimeout: 0.2)
        defer { app.cleanup() }
        let application = buildApplication(settings: app.settings, database: app.database, logger: Logger(label: "test"))
        try await application.test(.live) { client in
            var status = HTTPResponse.Status.serviceUnavailable
            for _ in 0..<50 where status != .ok {
                status = try await client.execute(uri: "/readyz", method: .get).status
                if status != .ok { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(status == .ok)
            let other = try lockingConnection(app.path)
            try other.inDatabase { db in try db.execute(sql: "BEGIN IMMEDIATE") }
            #expect(try await client.execute(uri: "/readyz", method: .get).status == .serviceUnavailable)
            try other.inDatabase { db in try db.execute(sql: "ROLLBACK") }
        }
    }
}

/// A second connection allowed to hold a transaction open across accesses, like a busy sqlite3 shell.
func lockingConnection(_ path: String) throws -> DatabaseQueue {
    var config = Configuration()
    config.allowsUnsafeTransactions = true
    return try DatabaseQueue(path: path, configuration: config)
}
