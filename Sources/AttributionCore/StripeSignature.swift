import Crypto
import Foundation

/// Verifies the `Stripe-Signature` header of a webhook delivery.
///
/// Stripe signs `"<t>.<raw body>"` with HMAC-SHA256 under the endpoint's signing
/// secret and sends `t=<unix seconds>,v1=<hex>[,v1=<hex>…]`. Any configured
/// secret may match (secret rotation). The timestamp must lie within the
/// tolerance of now in both directions, as docs/events.md requires (stripe-php and
/// stripe-dotnet do the same; the other SDKs only refuse old timestamps).
public struct StripeSignatureVerifier: Sendable {
    /// Raw secret bytes; kept as bytes because `SymmetricKey` is not `Sendable`.
    private let secrets: [[UInt8]]
    /// Seconds a timestamp may differ from now; `nil` skips the age check.
    public let tolerance: Int64?

    public init(secrets: [String], tolerance: Int64? = 300) {
        self.secrets = secrets.map { Array($0.utf8) }
        self.tolerance = tolerance
    }

    /// Checks `header` against `payload` at time `now` (unix seconds).
    /// Order of checks: header shape, then signatures, then age, as most SDKs do.
    public func verify(payload: some DataProtocol, header: String?, now: Int64) throws(SignatureError) {
        guard let header, !header.isEmpty else { throw .missingHeader }
        if payload.isEmpty { throw .emptyPayload }
        let parsed = try SignatureHeader.parse(header)
        guard parsed.hasV1 else { throw .noV1Signature }
        guard matches(parsed, payload: payload) else { throw .noMatchingSignature }
        if let tolerance, abs(now - parsed.timestamp) > tolerance {
            throw .timestampOutsideTolerance
        }
    }

    private func matches(_ header: SignatureHeader, payload: some DataProtocol) -> Bool {
        var message = Array(header.timestampText.utf8)
        message.append(UInt8(ascii: "."))
        message.append(contentsOf: payload)
        for secret in secrets {
            let key = SymmetricKey(data: secret)
            // isValidAuthenticationCode compares in constant time.
            for candidate in header.v1
            where HMAC<SHA256>.isValidAuthenticationCode(candidate, authenticating: message, using: key) {
                return true
            }
        }
        return false
    }

    /// Builds a header for `payload` signed with `secret` at `timestamp` (for tests and `send-test-events`).
    public static func header(payload: some DataProtocol, secret: String, timestamp: Int64) -> String {
        var message = Array(String(timestamp).utf8)
        message.append(UInt8(ascii: "."))
        message.append(contentsOf: payload)
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Array(secret.utf8)))
        return "t=\(timestamp),v1=\(Hex.encode(Array(mac)))"
    }
}

/// Why a signature was refused; the message is safe to return to the caller.
public enum SignatureError: Error, Equatable, Sendable, CustomStringConvertible {
    case missingHeader
    case emptyPayload
    case malformedHeader
    case noV1Signature
    case noMatchingSignature
    case timestampOutsideTolerance

    public var description: String {
        switch self {
        case .missingHeader: "no Stripe-Signature header"
        case .emptyPayload: "empty body"
        case .malformedHeader: "malformed Stripe-Signature header"
        case .noV1Signature: "no v1 signature in Stripe-Signature header"
        case .noMatchingSignature: "no signature matches the payload for any configured secret"
        case .timestampOutsideTolerance: "signature timestamp outside the tolerance"
        }
    }
}
