import AttributionCore
import AttributionServer
import AttributionStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// `POST /api/v1/customers`: off without a token, 401 on a wrong one, 400 on a
/// bad body, 200 and the same effect as `customers add` otherwise.
@Suite struct SignupRouteTests {
    static let token = "s3cret-token"

    static func app(token: String? = token, database: AppDatabase) -> some ApplicationProtocol {
        var settings = ServerSettings(port: 0)
        settings.apiToken = token
        return buildApplication(
            settings: settings, database: database, logger: Logger(label: "test"),
            clock: { 1_793_491_200 })
    }

    static func post(_ client: some TestClientProtocol, _ body: String, token: String? = token) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await client.execute(
            uri: "/api/v1/customers", method: .post, headers: headers,
            body: ByteBuffer(string: body))
    }

    static func json(_ response: TestResponse) throws -> [String: JSONValue] {
        guard case .object(let o) = try JSONValue.parse(Array(response.body.readableBytesView)) else { return [:] }
        return o
    }

    @Test func recordsTheSignupWithItsPartner() async throws {
        let db = try AppDatabase.makeEmpty()
        try await Self.app(database: db).test(.router) { client in
            let response = try await Self.post(
                client, #"{"customer_key":"alice@example.com","partner_key":"p_acme","email":"alice@example.com"}"#)
            #expect(response.status == .ok)
            #expect(
                try Self.json(response) == [
                    "customer_key": .string("alice@example.com"),
                    "partner_key": .string("p_acme"), "duplicate": .bool(false),
                ])
        }
        let customer = try #require(try db.customer(key: "alice@example.com"))
        #expect(customer.partnerKey == "p_acme")
        #expect(customer.email == "alice@example.com")
        #expect(try db.partner(key: "p_acme")?.source == "signup")
    }

    @Test func acceptsAGspkInsteadOfAPartnerKey() async throws {
        let db = try AppDatabase.makeEmpty()
        try await Self.app(database: db).test(.router) { client in
            let response = try await Self.post(client, #"{"customer_key":"bob","gspk":"cF9hY21l"}"#)
            #expect(response.status == .ok)
        }
        #expect(try db.customer(key: "bob")?.partnerKey == "p_acme")
    }

    @Test func repeatedSignupIsIdempotentAndKeepsTheFirstPartner() async throws {
        let db = try AppDatabase.makeEmpty()
        try await Self.app(database: db).test(.router) { client in
            _ = try await Self.post(client, #"{"customer_key":"carol","partner_key":"p_first"}"#)
            let again = try await Self.post(client, #"{"customer_key":"carol","partner_key":"p_second"}"#)
            #expect(again.status == .ok)
            #expect(try Self.json(again)["duplicate"] == .bool(true))
            #expect(try Self.json(again)["partner_key"] == .string("p_first"))
        }
        #expect(try db.customer(key: "carol")?.partnerKey == "p_first")
        #expect(try db.inboxRows().count == 1)
    }

    @Test(arguments: [
        "not json",
        "[]",
        #"{"partner_key":"p_acme"}"#,
        #"{"customer_key":"","partner_key":"p_acme"}"#,
        #"{"customer_key":"dan"}"#,
        #"{"customer_key":"dan","partner_key":"p_acme","gspk":"cF9hY21l"}"#,
        #"{"customer_key":"dan","gspk":"!!!"}"#,
        #"{"customer_key":42,"partner_key":"p_acme"}"#,
    ])
    func badBodyIs400WithAJSONError(body: String) async throws {
        let db = try AppDatabase.makeEmpty()
        try await Self.app(database: db).test(.router) { client in
            let response = try await Self.post(client, body)
            #expect(response.status == .badRequest)
            #expect(try Self.json(response)["error"]?.string?.isEmpty == false)
        }
        #expect(try db.inboxRows().isEmpty)
    }

    @Test func wrongOrMissingTokenIs401() async throws {
        let db = try AppDatabase.makeEmpty()
        let body = #"{"customer_key":"eve","partner_key":"p_acme"}"#
        try await Self.app(database: db).test(.router) { client in
            for token in ["wrong", nil, Self.token + "x", ""] {
                let response = try await Self.post(client, body, token: token)
                #expect(response.status == .unauthorized)
            }
        }
        #expect(try db.inboxRows().isEmpty)
    }

    @Test func withoutAConfiguredTokenTheRouteIs404() async throws {
        let db = try AppDatabase.makeEmpty()
        try await Self.app(token: nil, database: db).test(.router) { client in
            let response = try await Self.post(client, #"{"customer_key":"fay","partner_key":"p_acme"}"#)
            #expect(response.status == .notFound)
        }
        #expect(try db.inboxRows().isEmpty)
    }
}
