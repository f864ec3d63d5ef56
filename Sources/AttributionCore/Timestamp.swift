#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// ISO-8601 UTC text (`2026-11-29T10:35:16Z`), the schema's timestamp format.
///
/// Hand-written over `gmtime_r`/`timegm` because Foundation's formatters are
/// neither `Sendable` nor cheap, and this runs for every row the worker writes.
public enum Timestamp {
    public static func iso(_ unix: Int64) -> String {
        var t = time_t(unix)
        var tm = tm()
        gmtime_r(&t, &tm)
        let year = Int(tm.tm_year) + 1900
        guard (0...9999).contains(year) else {
            return "\(pad(year, 4))-\(pad(Int(tm.tm_mon) + 1, 2))-\(pad(Int(tm.tm_mday), 2))T"
                + "\(pad(Int(tm.tm_hour), 2)):\(pad(Int(tm.tm_min), 2)):\(pad(Int(tm.tm_sec), 2))Z"
        }
        // The usual case, written digit by digit into one 20-byte string: the worker
        // formats several timestamps per event, and interpolation cost a microsecond each.
        return String(unsafeUninitializedCapacity: 20) { text in
            func put(_ value: Int32, at start: Int, width: Int) {
                var value = value
                for i in (start..<start + width).reversed() {
                    text[i] = UInt8(ascii: "0") + UInt8(value % 10)
                    value /= 10
                }
            }
            put(Int32(year), at: 0, width: 4)
            put(tm.tm_mon + 1, at: 5, width: 2)
            put(tm.tm_mday, at: 8, width: 2)
            put(tm.tm_hour, at: 11, width: 2)
            put(tm.tm_min, at: 14, width: 2)
            put(tm.tm_sec, at: 17, width: 2)
            (text[4], text[7], text[10]) = (UInt8(ascii: "-"), UInt8(ascii: "-"), UInt8(ascii: "T"))
            (text[13], text[16], text[19]) = (UInt8(ascii: ":"), UInt8(ascii: ":"), UInt8(ascii: "Z"))
            return 20
        }
    }

    /// Parses `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SSZ` as UTC; `nil` if it is neither.
    public static func parse(_ text: String) -> Int64? {
        let parts = text.split(whereSeparator: { "-T:Z".contains($0) }).map { Int($0) }
        guard parts.allSatisfy({ $0 != nil }) else { return nil }
        let n = parts.map { $0! }
        let dateOnly = n.count == 3 && text.count == 10
        let full = n.count == 6 && text.count == 20 && text.hasSuffix("Z")
        guard dateOnly || full else { return nil }
        guard (1...12).contains(n[1]), (1...31).contains(n[2]) else { return nil }
        var tm = tm()
        tm.tm_year = Int32(n[0] - 1900)
        tm.tm_mon = Int32(n[1] - 1)
        tm.tm_mday = Int32(n[2])
        if full {
            guard n[3] < 24, n[4] < 60, n[5] < 61 else { return nil }
            tm.tm_hour = Int32(n[3])
            tm.tm_min = Int32(n[4])
            tm.tm_sec = Int32(n[5])
        }
        let t = Int64(timegm(&tm))
        // timegm normalises 2026-02-31 to March; refuse dates that do not exist.
        guard iso(t).prefix(10) == text.prefix(10) else { return nil }
        return t
    }

    private static func pad(_ v: Int, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}
