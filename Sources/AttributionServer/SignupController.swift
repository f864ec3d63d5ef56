import AttributionCore
import AttributionStore
import Foundation
import HTTPTypes
import Hummingbird

/// `POST /api/v1/customers`: the signup API, for businesses whose signup form
/// knows the partner (from a referral link's gspk) before Stripe does.
///
/// It records exactly what `customers add` records. Off (404) unless an API
/// token is configured; the bearer token is compared in constant time.
struct SignupController: Sendable {
    let database: AppDatabase
    let settings: ServerSettings
    let clock: @Sendable () -> Int64
    /// Signup bodies are a few fields; anything bigger is not a signup.
    static let bodyLimit = 64 * 1024

    func addRoutes(to router: Router<BasicRequestContext>) {
        router.post("/api/v1/customers") { request, context in
            try await self.signup(request, context: context)
        }
    }

    /// The JSON body of a signup.
    struct Body: Decodable {
        var customer_key: String?
        var partner_key: String?
        var gspk: String?
        var email: String?
        var name: String?
    }

    func signup(_ request: Request, context: BasicRequestContext) async throws -> Response {
        guard let token = settings.apiToken else { return .jsonError(.notFound, "the signup API is off: no API token configured") }
        guard Self.authorized(request.headers[.authorization], token: token) else {
            var response = Response.jsonError(.unauthorized, "missing or wrong bearer token")
            response.headers[.wwwAuthenticate] = "Bearer"
            return response
        }
        var request = request
        let bytes: ByteBuffer
        do {
            bytes = try await request.collectBody(upTo: Self.bodyLimit)
        } catch {
            return .jsonError(.contentTooLarge, "body larger than \(Self.bodyLimit) bytes")
        }
        let body: Body
        do {
            body = try JSONDecoder().decode(Body.self, from: Data(bytes.readableBytesView))
        } catch {
            return .jsonError(.badRequest, "body is not a JSON object with string fields customer_key, partner_key or gspk, email, name")
        }
        guard let key = body.customer_key?.trimmingCharacters(in: .whitespaces), !key.isEmpty else {
            return .jsonError(.badRequest, "customer_key is missing or empty")
        }
        let partner: String
        do {
            partner = try Gspk.partnerKey(partnerKey: body.partner_key, gspk: body.gspk)
        } catch {
            return .jsonError(.badRequest, error.description)
        }
        do {
            let result = try await database.recordSignup(
                LocalEvent.Signup(customerKey: key, partnerKey: partner, email: body.email, name: body.name),
                settings: settings.apply, now: clock())
            context.logger.info("signup recorded", metadata: ["duplicate": "\(result.outcome == .duplicate)"])
            return .json(.ok, try Self.responseJSON(result))
        } catch let error as StoreError {
            if case .unavailable = error { return .jsonError(.serviceUnavailable, "store unavailable, retry later") }
            context.logger.error("signup failed", metadata: [LogKey.error: "\(error)"])
            return .jsonError(.internalServerError, "cannot record the signup")
        }
    }

    /// `{"customer_key": ..., "partner_key": ..., "duplicate": false}`: the
    /// customer's partner after the signup (the first recorded one wins).
    static func responseJSON(_ result: SignupResult) throws -> String {
        struct Out: Encodable {
            var customer_key: String?
            var partner_key: String?
            var duplicate: Bool
        }
        let out = Out(
            customer_key: result.customer.customerKey, partner_key: result.customer.partnerKey,
            duplicate: result.outcome == .duplicate)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(out), as: UTF8.self)
    }

    /// `Authorization: Bearer <token>`, compared in constant time.
    static func authorized(_ header: String?, token: String) -> Bool {
        guard let header, header.lowercased().hasPrefix("bearer ") else { return false }
        let given = header.dropFirst("Bearer ".count).trimmingCharacters(in: .whitespaces)
        return ConstantTime.equals(given, token)
    }
}
