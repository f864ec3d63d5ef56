import AttributionCore
import AttributionServer
import AttributionStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// `/metrics`: valid Prometheus text, and counters that move with the traffic.
/// The registry is process-wide, so values are compared before/after.
@Suite struct MetricsTests {
    @Test func textParsesAndCountersMoveAsRequestsArrive() async throws {
        let secret = "whsec_metrics"
        let database = try AppDatabase.makeEmpty()
        let app = buildApplication(
            settings: ServerSettings(secrets: [secret], bodyLimit: 4096), database: database,
            logger: testLogger, metrics: TestMetrics.endpoint)
        // A type no other test sends, so its counter belongs to this test alone.
        let type = "test.metrics_\(UUID().uuidString.prefix(8).lowercased())"
        try await app.test(.router) { client in
            let before = try await scrape(client)
            let body =
                #"{"id":"evt_metrics_\#(type)","type":"\#(type)","created":1700000000,"livemode":false,"data":{"object":{"id":"x"}}}"#
            let header = StripeSignatureVerifier.header(
                payload: Array(body.utf8), secret: secret,
                timestamp: Int64(Date().timeIntervalSince1970))
            for _ in 0..<2 {  // the second delivery is a duplicate
                try await client.execute(
                    uri: "/webhooks/stripe", method: .post, headers: [.stripeSignatureTest: header],
                    body: ByteBuffer(string: body)
                ) { #expect($0.status == .ok) }
            }
            try await client.execute(
                uri: "/webhooks/stripe", method: .post, headers: [.stripeSignatureTest: "t=1,v1=00"],
                body: ByteBuffer(string: body)
            ) { #expect($0.status == .badRequest) }
            try await client.execute(
                uri: "/webhooks/stripe", method: .post, headers: [.stripeSignatureTest: header],
                body: ByteBuffer(repeating: UInt8(ascii: " "), count: 8192)
            ) {
                #expect($0.status == .contentTooLarge)
            }
            // The worker applies asynchronously: wait for the event counter.
            var after = try await scrape(client)
            let applied = ["type": type, "outcome": "ignored"]
            for _ in 0..<50 where after.value("attributiond_events_total", applied) == nil {
                try await Task.sleep(for: .milliseconds(100))
                after = try await scrape(client)
            }
            let webhooks = "attributiond_webhooks_total"
            #expect(after.value(webhooks, ["outcome": "accepted"]) - before.value(webhooks, ["outcome": "accepted"]) >= 1)
            #expect(after.value(webhooks, ["outcome": "duplicate"]) - before.value(webhooks, ["outcome": "duplicate"]) >= 1)
            #expect(after.value(webhooks, ["outcome": "bad_signature"]) - before.value(webhooks, ["outcome": "bad_signature"]) >= 1)
            #expect(after.value(webhooks, ["outcome": "too_large"]) - before.value(webhooks, ["outcome": "too_large"]) >= 1)
            #expect(after.value("attributiond_events_total", applied) == 1)
            #expect(after.value("attributiond_inbox_pending", [:]) != nil)
            #expect(after.value("attributiond_inbox_oldest_pending_age_seconds", [:]) != nil)
            #expect(after.value("attributiond_apply_batch_seconds_count", [:]) ?? 0 >= 1)
            let posts = ["path": "/webhooks/stripe", "status": "200"]
            #expect(
                after.value("attributiond_http_request_duration_seconds_count", posts)
                    - before.value("attributiond_http_request_duration_seconds_count", posts) >= 2)
        }
    }

    private func scrape(_ client: some TestClientProtocol) async throws -> MetricsText {
        try await client.execute(uri: "/metrics", method: .get) { response in
            #expect(response.status == .ok)
            let text = String(buffer: response.body)
            let parsed = try MetricsText(text)
            return parsed
        }
    }
}

/// Prometheus text exposition, parsed strictly: every line that is not blank or a
/// `#` comment must be `name{label="value",...} number`.
struct MetricsText {
    struct Sample {
        var name: String
        var labels: [String: String]
        var value: Double
    }
    var samples: [Sample] = []

    struct ParseError: Error, CustomStringConvertible { var description: String }

    init(_ text: String) throws {
        let line = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?[0-9.eE+\-]+|NaN|\+Inf|-Inf)$/
        let label = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/
        for raw in text.split(separator: "\n") where !raw.hasPrefix("#") && !raw.isEmpty {
            guard let match = try line.wholeMatch(in: raw) else { throw ParseError(description: "not a sample: \(raw)") }
            var labels: [String: String] = [:]
            if let list = match.2 {
                for pair in list.matches(of: label) { labels[String(pair.1)] = String(pair.2) }
            }
            guard let value = Double(match.3) ?? (match.3 == "+Inf" ? .infinity : nil) else {
                throw ParseError(description: "bad value: \(raw)")
            }
            samples.append(Sample(name: String(match.1), labels: labels, value: value))
        }
    }

    /// The value of the sample `name` whose labels include `labels`, or nil.
    func value(_ name: String, _ labels: [String: String]) -> Double? {
        samples.first { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }?.value
    }
}

/// Counters that do not exist yet count as 0 when comparing.
func - (a: Double?, b: Double?) -> Double { (a ?? 0) - (b ?? 0) }

extension HTTPField.Name {
    static let stripeSignatureTest = Self("Stripe-Signature")!
}
