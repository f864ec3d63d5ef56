import AttributionCore
import AttributionTestSupport
import Foundation
import Testing

/// Every case of `signature-vectors.json` (Stripe's own SDK tests) against our verifier.
@Suite("Stripe signature vectors")
struct SignatureVectorTests {
    struct Vector: Decodable, CustomTestStringConvertible, Sendable {
        var id: String
        var payload: String
        var secret: String
        var header: String
        var now: Int64
        var tolerance: Int64?
        var expected: String
        var reason: String
        var payload_file: String?
        var testDescription: String { id }
    }

    static let vectors: [Vector] = {
        struct File: Decodable { var vectors: [Vector] }
        let data = try! Fixtures.data("signature-vectors.json")
        return try! JSONDecoder().decode(File.self, from: data).vectors
    }()

    /// The exact bytes signed: the fixture file where the vector names one (trailing newline included).
    static func payloadBytes(_ v: Vector) throws -> [UInt8] {
        if let file = v.payload_file { return Array(try Fixtures.data(file)) }
        return Array(v.payload.utf8)
    }

    @Test("there are 50 vectors") func count() {
        #expect(Self.vectors.count == 50)
    }

    @Test("each vector gives the expected verdict", arguments: vectors)
    func verdict(_ v: Vector) throws {
        let verifier = StripeSignatureVerifier(secrets: [v.secret], tolerance: v.tolerance)
        let result = Result { () throws(SignatureError) in
            try verifier.verify(payload: try! Self.payloadBytes(v), header: v.header, now: v.now)
        }
        switch v.expected {
        case "valid":
            #expect(throws: Never.self) { try result.get() }
        case "invalid":
            #expect(throws: SignatureError.self) { try result.get() }
            if case .failure(let error) = result, let want = Self.reasons[v.reason] {
                #expect(error == want, "\(v.id): \(error)")
            }
        case "library_dependent":
            // docs/events.md: tolerance applies in both directions, as stripe-php and stripe-dotnet do.
            #expect(throws: SignatureError.timestampOutsideTolerance) { try result.get() }
        case "signature_valid_construct_error":
            #expect(throws: Never.self) { try result.get() }
            #expect(throws: EventDecodingError.self) { try StripeEvent.decode(Self.payloadBytes(v)) }
        default:
            Issue.record("unknown expectation \(v.expected)")
        }
    }

    static let reasons: [String: SignatureError] = [
        "no_matching_signature": .noMatchingSignature,
        "timestamp_outside_tolerance": .timestampOutsideTolerance,
        "no_v1_signature": .noV1Signature,
        "malformed_header": .malformedHeader,
        "missing_header": .missingHeader,
        "empty_payload": .emptyPayload,
    ]

    @Test("any configured secret may match (rotation)")
    func rotation() throws {
        let payload = Array(#"{"id":"evt_1"}"#.utf8)
        let header = StripeSignatureVerifier.header(payload: payload, secret: "whsec_new", timestamp: 1000)
        let verifier = StripeSignatureVerifier(secrets: ["whsec_old", "whsec_new"], tolerance: 300)
        try verifier.verify(payload: payload, header: header, now: 1000)
        #expect(throws: SignatureError.noMatchingSignature) {
            try StripeSignatureVerifier(secrets: ["whsec_old"]).verify(payload: payload, header: header, now: 1000)
        }
    }

    @Test("a timestamp 301 s in the future is refused, 300 s is accepted")
    func futureBoundary() throws {
        let payload = Array("{}".utf8)
        let verifier = StripeSignatureVerifier(secrets: ["s"], tolerance: 300)
        try verifier.verify(
            payload: payload, header: StripeSignatureVerifier.header(payload: payload, secret: "s", timestamp: 1300), now: 1000)
        #expect(throws: SignatureError.timestampOutsideTolerance) {
            try verifier.verify(
                payload: payload, header: StripeSignatureVerifier.header(payload: payload, secret: "s", timestamp: 1301), now: 1000)
        }
    }

    @Test("a missing header is refused")
    func missing() {
        #expect(throws: SignatureError.missingHeader) {
            try StripeSignatureVerifier(secrets: ["s"]).verify(payload: Array("{}".utf8), header: nil, now: 0)
        }
    }
}
