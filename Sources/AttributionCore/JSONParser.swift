/// Parses UTF-8 JSON straight into `JSONValue`.
///
/// Hand-written because Foundation's `JSONSerialization` builds a tree of
/// `Any` that must then be cast node by node into `JSONValue`: 16 µs for the
/// apply benchmark's 520-byte events, most of the worker's parsing time, which
/// competes with the writer for the machine's two cores. This parser takes
/// about 2 µs for the same events.
///
/// It accepts what `JSONSerialization` accepts for UTF-8 input, including its
/// leniencies (a trailing comma in an object or array, a leading byte-order
/// mark), and refuses what it refuses (raw control characters in strings,
/// invalid UTF-8, lone surrogates, numbers out of `Double`'s range, leading
/// zeros). One deliberate difference: an integer beyond `Int64` has no exact
/// integer value here, where Foundation wraps it around. A differential test
/// over mutated Stripe events holds the two together.
///
/// Nesting deeper than `JSONValue.maxDepth` is refused as the parser enters
/// it, so the recursion stays shallow. (A separate pass counting brackets
/// first cost a quarter of the intake's parsing time.)
///
/// Values nested `buildingDepth` containers deep or deeper are checked in
/// full but not built: each comes back as an empty value of its kind (`{}`,
/// `[]`, `""`, `0`). The intake uses this to read an event's envelope and
/// check the rest without the cost of building it.
struct JSONParser {
    private let bytes: UnsafeRawBufferPointer
    private let buildingDepth: Int
    private var index = 0
    private var depth = 0

    private init(_ bytes: UnsafeRawBufferPointer, buildingDepth: Int) {
        self.bytes = bytes
        self.buildingDepth = buildingDepth
    }

    static func parse(_ bytes: UnsafeRawBufferPointer, buildingDepth: Int = .max) throws(JSONParser.Failure) -> JSONValue {
        var parser = JSONParser(bytes, buildingDepth: buildingDepth)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { parser.index = 3 }
        parser.skipWhitespace()
        let value = try parser.value()
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw parser.error("unexpected text after the value") }
        return value
    }

    // MARK: Values

    private mutating func value() throws(JSONParser.Failure) -> JSONValue {
        guard index < bytes.count else { throw error("unexpected end") }
        let build = depth < buildingDepth
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object(build: build)
        case UInt8(ascii: "["): return try array(build: build)
        case UInt8(ascii: "\""): return .string(try string(build: build))
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let number = try number()
            return build ? number : .number(0, 0)
        default: throw error("unexpected character")
        }
    }

    private mutating func object(build: Bool) throws(JSONParser.Failure) -> JSONValue {
        try enterContainer()
        defer { depth -= 1 }
        // Stripe objects have tens of keys: start big enough to skip the first few regrowths.
        var members: [String: JSONValue] = build ? Dictionary(minimumCapacity: 16) : [:]
        skipWhitespace()
        while !consume(UInt8(ascii: "}")) {
            guard peek() == UInt8(ascii: "\"") else { throw error("expected a key") }
            let key = try string(build: build)
            skipWhitespace()
            guard consume(UInt8(ascii: ":")) else { throw error("expected ':'") }
            skipWhitespace()
            let member = try value()
            if build { members[key] = member }  // a repeated key: the last one wins, as in Foundation
            try endOfItem(closing: UInt8(ascii: "}"))
        }
        return .object(members)
    }

    private mutating func array(build: Bool) throws(JSONParser.Failure) -> JSONValue {
        try enterContainer()
        defer { depth -= 1 }
        var elements: [JSONValue] = []
        skipWhitespace()
        while !consume(UInt8(ascii: "]")) {
            let element = try value()
            if build { elements.append(element) }
            try endOfItem(closing: UInt8(ascii: "]"))
        }
        return .array(elements)
    }

    /// Steps past `{` or `[`, one level deeper.
    private mutating func enterContainer() throws(JSONParser.Failure) {
        index += 1
        depth += 1
        if depth > JSONValue.maxDepth { throw .tooDeep }
    }

    /// After a member or element: a comma (a trailing one is allowed, as in Foundation) or the closing bracket.
    private mutating func endOfItem(closing: UInt8) throws(JSONParser.Failure) {
        skipWhitespace()
        if consume(UInt8(ascii: ",")) {
            skipWhitespace()
        } else if peek() != closing {
            throw error("expected ',' or '\(Character(Unicode.Scalar(closing)))'")
        }
    }

    private mutating func literal(_ word: StaticString) throws(JSONParser.Failure) {
        // A plain loop: `elementsEqual` on slices was 8 % of parsing, for words of four or five bytes.
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw error("unexpected word") }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { throw error("unexpected word") }
        index += count
    }

    // MARK: Strings

    /// A string from its opening quote; the common case (no escapes) is one scan and one validating copy.
    /// Without `build`, it is checked the same way but comes back empty (ASCII text needs no copy to check).
    private mutating func string(build: Bool) throws(JSONParser.Failure) -> String {
        index += 1
        let start = index
        var ascii = true
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
                // ASCII is valid UTF-8 as it stands; only other text needs validating.
                if !build && ascii {
                    index += 1
                    return ""
                }
                let text = ascii ? String(decoding: raw, as: UTF8.self) : String(validating: raw, as: UTF8.self)
                guard let text else { throw error("invalid UTF-8") }
                index += 1
                return build ? text : ""
            }
            ascii = ascii && byte < 0x80
            if byte == UInt8(ascii: "\\") {
                let text = try escapedString(from: start)
                return build ? text : ""
            }
            if byte < 0x20 { throw error("control character in a string") }
            index += 1
        }
        throw error("unterminated string")
    }

    private mutating func escapedString(from start: Int) throws(JSONParser.Failure) -> String {
        var utf8 = Array(bytes[start..<index])
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: utf8, as: UTF8.self) else { throw error("invalid UTF-8") }
                return text
            case UInt8(ascii: "\\"):
                try appendEscape(to: &utf8)
            case ..<0x20:
                throw error("control character in a string")
            default:
                utf8.append(byte)
            }
        }
        throw error("unterminated string")
    }

    private mutating func appendEscape(to utf8: inout [UInt8]) throws(JSONParser.Failure) {
        guard index < bytes.count else { throw error("unterminated string") }
        let byte = bytes[index]
        index += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(byte)
        case UInt8(ascii: "b"): utf8.append(0x08)
        case UInt8(ascii: "f"): utf8.append(0x0C)
        case UInt8(ascii: "n"): utf8.append(0x0A)
        case UInt8(ascii: "r"): utf8.append(0x0D)
        case UInt8(ascii: "t"): utf8.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = UInt32(try hex4())
            if (0xD800...0xDBFF).contains(scalar) {
                // A high surrogate must be followed by an escaped low one.
                guard consume(UInt8(ascii: "\\")), consume(UInt8(ascii: "u")) else { throw error("lone surrogate") }
                let low = UInt32(try hex4())
                guard (0xDC00...0xDFFF).contains(low) else { throw error("lone surrogate") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw error("lone surrogate") }
            utf8.append(contentsOf: UTF8.encode(unicode)!)
        default:
            throw error("invalid escape")
        }
    }

    private mutating func hex4() throws(JSONParser.Failure) -> UInt16 {
        guard index + 4 <= bytes.count else { throw error("short \\u escape") }
        var value: UInt16 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw error("invalid \\u escape")
            }
            value = value << 4 | UInt16(digit)
            index += 1
        }
        return value
    }

    // MARK: Numbers

    /// RFC 8259's number grammar. An integer that fits `Int64` keeps its exact
    /// value; anything else is a `Double`, with an integer value when it is a
    /// whole number small enough to be exact (the rule of `JSONValue.int`).
    private mutating func number() throws(JSONParser.Failure) -> JSONValue {
        let start = index
        _ = consume(UInt8(ascii: "-"))
        guard let first = peek(), isDigit(first) else { throw error("invalid number") }
        index += 1
        if first == UInt8(ascii: "0"), let next = peek(), isDigit(next) { throw error("leading zero") }
        skipDigits()
        var integral = true
        if consume(UInt8(ascii: ".")) {
            integral = false
            guard let next = peek(), isDigit(next) else { throw error("invalid number") }
            skipDigits()
        }
        if let e = peek(), e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            integral = false
            index += 1
            if let sign = peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { index += 1 }
            guard let next = peek(), isDigit(next) else { throw error("invalid number") }
            skipDigits()
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        if integral, let exact = Int64(text) { return .number(Double(exact), exact) }
        guard let double = Double(text), double.isFinite else { throw error("number out of range") }
        return .number(double, double.rounded() == double && abs(double) < 9e15 ? Int64(double) : nil)
    }

    private func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

    private mutating func skipDigits() {
        while let byte = peek(), isDigit(byte) { index += 1 }
    }

    // MARK: Bytes

    private func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    /// Consumes `byte` if it is next.
    private mutating func consume(_ byte: UInt8) -> Bool {
        guard peek() == byte else { return false }
        index += 1
        return true
    }

    private mutating func skipWhitespace() {
        while let byte = peek(),
            byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\t")
        {
            index += 1
        }
    }

    private func error(_ what: String) -> Failure { .syntax(JSONSyntaxError(description: "\(what) at byte \(index)")) }

    enum Failure: Error {
        case syntax(JSONSyntaxError)
        case tooDeep
    }
}

/// A body that is not JSON, and where the parser stopped.
public struct JSONSyntaxError: Error, Equatable, Sendable, CustomStringConvertible {
    public var description: String
}
