import AttributionCore
import AttributionStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// `POST /webhooks/stripe`: verify, decode, store durably, then answer.
struct WebhookController: Sendable {
    let verifier: StripeSignatureVerifier
    let inbox: InboxWriter
    let bodyLimit: Int
    let clock: @Sendable () -> Int64

    func addRoutes(to router: Router<BasicRequestContext>) {
        router.post("/webhooks/stripe") { request, context in
            try await self.receive(request, context: context)
        }
    }

    func receive(_ request: Request, context: BasicRequestContext) async throws -> Response {
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: bodyLimit)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            // The body stream throws NIOTooManyBytesError (not HTTPError); both carry 413.
            return refuse(.tooLarge, .contentTooLarge, "body larger than \(bodyLimit) bytes", context: context)
        }
        let bytes = body.readableBytesView
        do {
            try verifier.verify(payload: bytes, header: request.headers[.stripeSignature], now: clock())
        } catch {
            return refuse(.badSignature, .badRequest, error.description, context: context)
        }
        let event: StripeEnvelope
        // The inbox keeps the body byte for byte as text: a body that is not UTF-8 is not JSON.
        guard let payload = String(validating: bytes, as: UTF8.self) else {
            return refuse(.notAnEvent, .badRequest, EventDecodingError.notJSON.description, context: context)
        }
        do {
            event = try StripeEnvelope.decode(bytes)
        } catch {
            return refuse(.notAnEvent, .badRequest, error.description, context: context)
        }
        // Admin events (payouts, rules, signups…) enter only through the daemon's own commands:
        // a leaked signing secret must not be enough to create a payout or a reward rule.
        guard !LocalEvent.isDaemonType(event.type) else {
            return refuse(
                .notAnEvent, .badRequest, "event type \(event.type) is written by attributiond itself, never by Stripe",
                context: context)
        }
        do {
            let outcome = try await inbox.submit(NewInboxEvent(envelope: event, payload: payload))
            let label = outcome == .stored ? WebhookOutcome.accepted : .duplicate
            label.count()
            // The metadata is written inline, not built ahead: the logger evaluates it only at info.
            context.logger.info(
                "webhook \(label.rawValue)", metadata: [LogKey.eventId: "\(event.id)", LogKey.eventType: "\(event.type)"])
            return .json(.ok, #"{"received":true,"duplicate":\#(outcome == .duplicate)}"#)
        } catch {
            WebhookOutcome.unavailable.count()
            context.logger.error(
                "webhook not stored, answering 503",
                metadata: [LogKey.eventId: "\(event.id)", LogKey.eventType: "\(event.type)", LogKey.error: "\(error)"])
            return .jsonError(.serviceUnavailable, "store unavailable, retry later")
        }
    }

    /// A delivery refused before anything is written: counted, logged at notice, answered with a JSON error.
    private func refuse(
        _ outcome: WebhookOutcome, _ status: HTTPResponse.Status, _ message: String,
        context: BasicRequestContext
    ) -> Response {
        outcome.count()
        context.logger.notice("webhook refused", metadata: [LogKey.outcome: "\(outcome.rawValue)", LogKey.error: "\(message)"])
        return .jsonError(status, message)
    }
}

extension HTTPField.Name {
    static let stripeSignature = Self("Stripe-Signature")!
}

extension Response {
    static func json(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// `{"error": "..."}` with the message escaped as JSON.
    static func jsonError(_ status: HTTPResponse.Status, _ message: String) -> Response {
        let escaped = (try? JSONEncoder().encode(message)).map { String(decoding: $0, as: UTF8.self) } ?? "\"error\""
        return json(status, #"{"error":\#(escaped)}"#)
    }
}
