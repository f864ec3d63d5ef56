#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where bytes for `JSONItemReader` come from: a file descriptor, or memory in tests.
public protocol ByteSource {
    /// Fills the front of `buffer`; returns how many bytes it read, 0 at the end.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// Reads a file descriptor (a file or standard input) as it is, without buffering of its own.
public struct FileDescriptorSource: ByteSource {
    public let descriptor: Int32

    public init(descriptor: Int32) { self.descriptor = descriptor }

    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            #if canImport(Glibc)
                let n = Glibc.read(descriptor, buffer.baseAddress, buffer.count)
            #else
                let n = Darwin.read(descriptor, buffer.baseAddress, buffer.count)
            #endif
            if n >= 0 { return n }
            if errno != EINTR { throw ReadError(errno: errno) }
        }
    }

    public struct ReadError: Error, CustomStringConvertible {
        public var errno: Int32
        public init(errno: Int32) { self.errno = errno }
        public var description: String { String(cString: strerror(errno)) }
    }
}

/// Bytes already in memory.
public struct MemorySource: ByteSource {
    private let bytes: [UInt8]
    private var offset = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, bytes.count - offset)
        bytes.withUnsafeBytes { all in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: all[offset..<(offset + n)]))
        }
        offset += n
        return n
    }
}

/// Where an item starts in its file: its number (from 1) and the line it starts on.
public struct ItemPosition: Sendable, Equatable, CustomStringConvertible {
    public var item: Int
    public var line: Int

    public var description: String { "item \(item) (line \(line))" }
}

/// Splits JSON text into the items `import` stores, in bounded memory.
///
/// A file is any sequence of top-level JSON values (so JSON lines, one
/// array, one list page and the concatenated pages `stripe … list` prints
/// all read the same). A top-level array gives its elements; a top-level
/// object with a `data` array is a list page and gives the elements of
/// `data`; any other top-level object is an item itself. Only the item being
/// read is kept in memory, so a 2 GB file needs no more than a big item
/// does; an item larger than `limit` is reported, not kept.
///
/// The scanner checks only the structure it needs to find items (strings,
/// brackets, separators); each item is then parsed in full by its reader.
/// After a structural error (truncated JSON, a stray byte) the rest of the
/// file cannot be split reliably, so the reader reports it and stops.
public struct JSONItemReader<Source: ByteSource> {
    public enum Output: Equatable {
        case item([UInt8], ItemPosition)
        case problem(String, ItemPosition)
    }

    private enum State {
        case top
        /// Inside a top-level array (`list: false`) or a list page's `data` (`list: true`).
        case elements(list: Bool, needComma: Bool)
        /// The members of a list page after its `data` array.
        case listMembers
        case done
    }

    private var source: Source
    private let limit: Int
    private var buffer: [UInt8]
    private var pos = 0
    private var end = 0
    private var atEnd = false
    private var state = State.top
    private var line = 1
    private var items = 0
    /// Bytes handed to the reader so far, for progress against the file's size.
    public private(set) var bytesRead: Int64 = 0

    // The item being captured: its bytes, up to `limit`.
    private var capturing = false
    private var capture: [UInt8] = []
    private var oversize = false
    /// The `object` member of the list page being read, to check that it says `list`.
    private var listObjectField: String?
    private var listPosition = ItemPosition(item: 0, line: 0)

    public init(source: Source, limit: Int, chunkSize: Int = 1 << 16) {
        self.source = source
        self.limit = limit
        buffer = [UInt8](repeating: 0, count: chunkSize)
    }

    /// The next item or problem; nil at the end of the input.
    public mutating func next() throws -> Output? {
        while true {
            switch state {
            case .done:
                return nil
            case .top:
                if bytesRead == 0 && end == 0 { try skipByteOrderMark() }
                try skipWhitespace()
                guard let byte = try peek() else {
                    state = .done
                    return nil
                }
                if byte == UInt8(ascii: "[") {
                    try advance()
                    state = .elements(list: false, needComma: false)
                } else if byte == UInt8(ascii: "{") {
                    if let output = try topLevelObject() { return output }
                } else {
                    return fatal("expected a JSON object or array, found '\(Self.show(byte))'", at: position(nextItem: true))
                }
            case .elements(let list, let needComma):
                try skipWhitespace()
                guard let byte = try peek() else {
                    return fatal("truncated JSON: the file ends inside an array", at: position(nextItem: true))
                }
                if byte == UInt8(ascii: "]") {
                    try advance()
                    state = list ? .listMembers : .top
                } else if needComma {
                    guard byte == UInt8(ascii: ",") else {
                        return fatal("expected ',' or ']' between items, found '\(Self.show(byte))'", at: position(nextItem: true))
                    }
                    try advance()
                    state = .elements(list: list, needComma: false)
                } else {
                    state = .elements(list: list, needComma: true)
                    return try element()
                }
            case .listMembers:
                if let output = try listMembersAfterData() { return output }
            }
        }
    }

    // MARK: Items

    /// One array element, captured whole.
    private mutating func element() throws -> Output {
        let at = position(nextItem: true)
        startCapture()
        if let why = try skipValue() { return fatal(why, at: at) }
        return finishCapture(at: at)
    }

    /// A top-level object: a list page (its `data` elements follow) or an item.
    /// Returns nil when it turned out to be a list page.
    private mutating func topLevelObject() throws -> Output? {
        let at = position(nextItem: false)
        startCapture()
        try advance()  // {
        var first = true
        listObjectField = nil
        while true {
            try skipWhitespace()
            guard let byte = try peek() else { return fatal("truncated JSON: the file ends inside an object", at: at) }
            if byte == UInt8(ascii: "}") {
                try advance()
                state = .top
                items += 1
                return finishCapture(at: ItemPosition(item: items, line: at.line))
            }
            if !first {
                guard byte == UInt8(ascii: ",") else {
                    return fatal("expected ',' or '}' in an object, found '\(Self.show(byte))'", at: at)
                }
                try advance()
                try skipWhitespace()
                // JSONSerialization's leniency, which the item parser shares: a trailing comma.
                if try peek() == UInt8(ascii: "}") { continue }
            }
            first = false
            guard let key = try memberKey() else { return fatal("truncated or broken JSON: expected a member name", at: at) }
            if key == "data", try peek() == UInt8(ascii: "[") {
                // A list page: its elements are the items; the page itself is not kept.
                stopCapture()
                try advance()
                listPosition = at
                state = .elements(list: true, needComma: false)
                return nil
            }
            if let why = try memberValue(key: key) { return fatal(why, at: at) }
        }
    }

    /// The members of a list page after its `data` array, up to its closing brace.
    private mutating func listMembersAfterData() throws -> Output? {
        while true {
            try skipWhitespace()
            guard let byte = try peek() else { return fatal("truncated JSON: the file ends inside a list page", at: listPosition) }
            if byte == UInt8(ascii: "}") {
                try advance()
                state = .top
                if let kind = listObjectField, kind != "list" {
                    return .problem("an object of type '\(kind)' with a data array is not a list page", listPosition)
                }
                return nil
            }
            guard byte == UInt8(ascii: ",") else {
                return fatal("expected ',' or '}' in a list page, found '\(Self.show(byte))'", at: listPosition)
            }
            try advance()
            try skipWhitespace()
            if try peek() == UInt8(ascii: "}") { continue }
            guard let key = try memberKey() else { return fatal("truncated or broken JSON: expected a member name", at: listPosition) }
            if let why = try memberValue(key: key) { return fatal(why, at: listPosition) }
        }
    }

    /// `"name"` and its colon; nil if the input is not that.
    private mutating func memberKey() throws -> String? {
        guard try peek() == UInt8(ascii: "\"") else { return nil }
        guard let key = try string(keeping: true) else { return nil }
        try skipWhitespace()
        guard try peek() == UInt8(ascii: ":") else { return nil }
        try take()
        try skipWhitespace()
        return String(decoding: key, as: UTF8.self)
    }

    /// A member's value; remembers a string `object` member (a list page must say `list`).
    private mutating func memberValue(key: String) throws -> String? {
        if key == "object", try peek() == UInt8(ascii: "\"") {
            guard let value = try string(keeping: true) else { return "truncated JSON: the file ends inside a string" }
            listObjectField = String(decoding: value, as: UTF8.self)
            return nil
        }
        return try skipValue()
    }

    private mutating func startCapture() {
        capturing = true
        capture.removeAll(keepingCapacity: true)
        oversize = false
    }

    private mutating func stopCapture() {
        capturing = false
        capture.removeAll(keepingCapacity: true)
    }

    private mutating func finishCapture(at: ItemPosition) -> Output {
        capturing = false
        if oversize { return .problem("item is larger than \(limit) bytes (the webhook body limit)", at) }
        return .item(capture, at)
    }

    private mutating func fatal(_ why: String, at: ItemPosition) -> Output {
        state = .done
        capturing = false
        return .problem(why, at)
    }

    private mutating func position(nextItem: Bool) -> ItemPosition {
        if nextItem { items += 1 }
        return ItemPosition(item: nextItem ? items : items + 1, line: line)
    }

    // MARK: Scanning

    /// Skips one JSON value (capturing it if an item is being captured); the reason if it is broken.
    private mutating func skipValue() throws -> String? {
        var closers: [UInt8] = []
        repeat {
            try skipWhitespace()
            guard let byte = try peek() else { return "truncated JSON: the file ends inside an item" }
            switch byte {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                guard closers.count < 64 else { return "JSON nested deeper than 64 levels" }
                closers.append(byte == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]"))
                try take()
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                guard closers.last == byte else { return "broken JSON: unexpected '\(Self.show(byte))'" }
                closers.removeLast()
                try take()
            case UInt8(ascii: "\""):
                guard try string(keeping: false) != nil else { return "truncated JSON: the file ends inside a string" }
            case UInt8(ascii: ","), UInt8(ascii: ":"):
                guard !closers.isEmpty else { return "broken JSON: unexpected '\(Self.show(byte))'" }
                try take()
            default:
                // A number or literal: its bytes up to the next delimiter; the item's parser checks them.
                guard Self.isScalarByte(byte) else { return "broken JSON: unexpected '\(Self.show(byte))'" }
                while let b = try peek(), Self.isScalarByte(b) { try take() }
            }
        } while !closers.isEmpty
        return nil
    }

    /// A string from its opening quote; its raw bytes (escapes as written) if `keeping`, nil if truncated.
    private mutating func string(keeping: Bool) throws -> [UInt8]? {
        try take()  // "
        var kept: [UInt8] = []
        while let byte = try peek() {
            try take()
            if byte == UInt8(ascii: "\"") { return kept }
            if keeping { kept.append(byte) }
            if byte == UInt8(ascii: "\\") {
                guard let escaped = try peek() else { return nil }
                try take()
                if keeping { kept.append(escaped) }
            } else if byte == UInt8(ascii: "\n") {
                line += 1  // invalid in JSON; the item's parser says so, the count stays right
            }
        }
        return nil
    }

    private mutating func skipWhitespace() throws {
        while let byte = try peek() {
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"): try take()
            case UInt8(ascii: "\n"):
                line += 1
                try take()
            default: return
            }
        }
    }

    private mutating func skipByteOrderMark() throws {
        guard try peek() == 0xEF, end - pos >= 3, buffer[pos + 1] == 0xBB, buffer[pos + 2] == 0xBF else { return }
        pos += 3
    }

    @inline(__always)
    private mutating func peek() throws -> UInt8? {
        if pos == end {
            try refill()
            if pos == end { return nil }
        }
        return buffer[pos]
    }

    /// Consumes the byte `peek` returned, keeping it if an item is being captured.
    @inline(__always)
    private mutating func take() throws {
        if capturing {
            if capture.count < limit { capture.append(buffer[pos]) } else { oversize = true }
        }
        pos += 1
    }

    /// Consumes the byte `peek` returned without keeping it.
    private mutating func advance() throws {
        if capturing { try take() } else { pos += 1 }
    }

    private mutating func refill() throws {
        guard !atEnd else { return }
        let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
        pos = 0
        end = n
        bytesRead += Int64(n)
        if n == 0 { atEnd = true }
    }

    private static func isScalarByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."):
            true
        default: false
        }
    }

    private static func show(_ byte: UInt8) -> String {
        (0x20..<0x7F).contains(byte) ? String(UnicodeScalar(byte)) : "0x" + String(byte, radix: 16)
    }
}
