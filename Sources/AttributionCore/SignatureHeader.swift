/// The parsed parts of a `Stripe-Signature` header.
///
/// Hand-written because no Stripe SDK exists for Swift: items are split on `,`
/// and trimmed (as stripe-ruby and stripe-dotnet tolerate spaces); every item
/// must be `key=value`; `t` must occur once and be digits; `v1` values that are
/// not 64 hex digits cannot match and are skipped (as stripe-go does); other
/// schemes such as `v0` are ignored.
struct SignatureHeader: Equatable {
    var timestampText: String
    var timestamp: Int64
    var v1: [[UInt8]]
    /// Whether any `v1` item was present, even one that cannot match.
    var hasV1: Bool

    /// Works on the header's UTF-8 bytes: splitting a `String` by `Character`
    /// (grapheme clusters) took more time than the HMAC of a 2 KB body.
    static func parse(_ header: String) throws(SignatureError) -> SignatureHeader {
        var timestampText: Substring?
        var v1: [[UInt8]] = []
        var hasV1 = false
        for rawItem in header.utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
            let item = rawItem.trimmingSpaces()
            if item.isEmpty { continue }
            guard let equals = item.firstIndex(of: UInt8(ascii: "=")) else { throw .malformedHeader }
            let key = item[..<equals]
            let value = item[item.index(after: equals)...]
            if key.elementsEqual("t".utf8) {
                guard timestampText == nil else { throw .malformedHeader }
                timestampText = Substring(value)
            } else if key.elementsEqual("v1".utf8) {
                hasV1 = true
                if let bytes = Hex.decode(value), bytes.count == 32 { v1.append(bytes) }
            }
        }
        guard let timestampText, !timestampText.isEmpty, timestampText.utf8.count <= 18,
            timestampText.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
            let timestamp = Int64(timestampText)
        else { throw .malformedHeader }
        return SignatureHeader(timestampText: String(timestampText), timestamp: timestamp, v1: v1, hasV1: hasV1)
    }
}

extension Substring.UTF8View {
    func trimmingSpaces() -> Substring.UTF8View {
        var s = self
        while let f = s.first, f == UInt8(ascii: " ") || f == UInt8(ascii: "\t") { s = s.dropFirst() }
        while let l = s.last, l == UInt8(ascii: " ") || l == UInt8(ascii: "\t") { s = s.dropLast() }
        return s
    }
}

/// Lower-case hexadecimal, the form Stripe uses for signatures.
public enum Hex {
    public static func encode(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        decode(text.utf8)
    }

    public static func decode(_ utf8: some Collection<UInt8>) -> [UInt8]? {
        let utf8 = Array(utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(utf8.count / 2)
        var i = 0
        while i < utf8.count {
            guard let hi = nibble(utf8[i]), let lo = nibble(utf8[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: c - 48
        case 97...102: c - 87
        case 65...70: c - 55
        default: nil
        }
    }
}
