import Foundation

/// A parsed JSON document whose shape is not fixed in advance.
///
/// Stripe payloads differ between API versions (fields move, become objects
/// or ids), so the worker reads them by path and tolerates either shape
/// instead of decoding into one rigid struct per version.
public enum JSONValue: Sendable, Equatable, Decodable {
    case null
    case bool(Bool)
    case number(Double, Int64?)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? c.decode(Int64.self) {
            self = .number(Double(i), i)
        } else if let d = try? c.decode(Double.self) {
            self = .number(d, nil)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([JSONValue].self) {
            self = .array(a)
        } else {
            self = .object(try c.decode([String: JSONValue].self))
        }
    }

    /// Parses UTF-8 JSON (see `JSONParser` for why it is not `JSONSerialization`).
    /// Throws `JSONDepthError` for documents nested deeper than `maxDepth`, and
    /// `JSONSyntaxError` for anything that is not JSON.
    ///
    /// Values nested `buildingDepth` containers deep or deeper are checked but
    /// come back empty (see `JSONParser`).
    public static func parse(_ data: some DataProtocol, buildingDepth: Int = .max) throws -> JSONValue {
        // A webhook body arrives in one piece (a ByteBuffer's view): read it where it lies.
        if let value = try data.withContiguousStorageIfAvailable({ buffer in
            try parse(UnsafeRawBufferPointer(buffer), buildingDepth: buildingDepth)
        }) {
            return value
        }
        return try Data(data).withUnsafeBytes { buffer in try parse(buffer, buildingDepth: buildingDepth) }
    }

    private static func parse(_ buffer: UnsafeRawBufferPointer, buildingDepth: Int) throws -> JSONValue {
        do {
            return try JSONParser.parse(buffer, buildingDepth: buildingDepth)
        } catch .syntax(let syntax) {
            throw syntax
        } catch .tooDeep {
            throw JSONDepthError()
        }
    }

    /// Deepest nesting of arrays and objects accepted. Stripe events nest about
    /// ten levels; the limit keeps the recursive decoding (and the recursive
    /// release of the value) far from the end of a thread's stack.
    public static let maxDepth = 64

    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] } else { return nil }
    }

    public var string: String? { if case .string(let s) = self { s } else { nil } }
    public var int: Int64? {
        switch self {
        case .number(let d, let i): i ?? (d.rounded() == d && abs(d) < 9e15 ? Int64(d) : nil)
        default: nil
        }
    }
    public var bool: Bool? { if case .bool(let b) = self { b } else { nil } }
    public var array: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
    public var isObject: Bool { if case .object = self { true } else { false } }
    public var isNull: Bool { self == .null }

    /// An id field that Stripe sends either as a string or, when expanded, as an object with `id`.
    public var idValue: String? { string ?? self["id"]?.string }
}

/// A JSON document nested deeper than `JSONValue.maxDepth`.
public struct JSONDepthError: Error, Equatable, Sendable, CustomStringConvertible {
    public var description: String { "JSON nested deeper than \(JSONValue.maxDepth) levels" }
}
