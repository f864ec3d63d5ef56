import Foundation

/// A partner key as it travels in referral links: `gspk`, the base64 of the key.
///
/// Links are built by hand, by marketing tools and by PartnerStack, so both
/// the standard and the URL-safe alphabet are accepted, with or without `=`
/// padding. The decoded key must be non-empty UTF-8; anything else is refused
/// rather than guessed at, because a wrong partner key would misattribute money.
public enum Gspk {
    /// Decodes `gspk` into the partner key it carries.
    public static func decode(_ gspk: String) throws(GspkError) -> String {
        let trimmed = gspk.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw GspkError(gspk: gspk, reason: "it is empty") }
        var base64 = String(trimmed.map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 })
        // Mixing alphabets (`-` with `+`) is refused, and `=` may only end the text.
        if trimmed.contains(where: { $0 == "-" || $0 == "_" }) && trimmed.contains(where: { $0 == "+" || $0 == "/" }) {
            throw GspkError(gspk: gspk, reason: "it mixes the standard and URL-safe base64 alphabets")
        }
        let unpadded = base64.prefix { $0 != "=" }
        guard base64.dropFirst(unpadded.count).allSatisfy({ $0 == "=" }), base64.count - unpadded.count <= 2 else {
            throw GspkError(gspk: gspk, reason: "it is not base64")
        }
        guard unpadded.count % 4 != 1 else { throw GspkError(gspk: gspk, reason: "it is not base64 (bad length)") }
        base64 = String(unpadded) + String(repeating: "=", count: (4 - unpadded.count % 4) % 4)
        guard let data = Data(base64Encoded: base64) else { throw GspkError(gspk: gspk, reason: "it is not base64") }
        guard let key = String(data: data, encoding: .utf8) else {
            throw GspkError(gspk: gspk, reason: "it does not decode to UTF-8 text")
        }
        guard !key.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw GspkError(gspk: gspk, reason: "it decodes to an empty partner key")
        }
        return key
    }

    /// The partner key of a signup given either directly or as a gspk (exactly one of them).
    public static func partnerKey(partnerKey: String?, gspk: String?) throws(GspkError) -> String {
        switch (partnerKey, gspk) {
        case (let key?, nil):
            guard !key.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw GspkError(message: "partner key is empty")
            }
            return key
        case (nil, let g?): return try decode(g)
        case (nil, nil): throw GspkError(message: "give a partner key or a gspk")
        case (_?, _?): throw GspkError(message: "give a partner key or a gspk, not both")
        }
    }
}

/// A gspk or partner key that cannot be used; the message is one line.
public struct GspkError: Error, Equatable, Sendable, CustomStringConvertible {
    public var description: String

    init(gspk: String, reason: String) {
        description = "cannot decode gspk '\(gspk.prefix(100))': \(reason)"
    }

    init(message: String) { description = message }
}
