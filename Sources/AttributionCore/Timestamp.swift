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
        canonical(text) ?? loose(text)
    }

    /// The form `iso` writes (`2026-11-25T10:35:16Z`), read byte by byte with
    /// the calendar's arithmetic; nil for anything else, which `loose` reads
    /// (or refuses) as before. The ledger reads a transaction's time for every
    /// commission it derives: `loose` took 2.8 µs a call (split, `Int` of each
    /// part, `timegm`, and `iso` again to refuse dates that do not exist), this 0.04.
    private static func canonical(_ text: String) -> Int64? {
        var text = text
        return text.withUTF8 { b -> Int64? in
            guard b.count == 20, b[4] == 0x2D, b[7] == 0x2D, b[10] == 0x54, b[13] == 0x3A, b[16] == 0x3A, b[19] == 0x5A
            else { return nil }
            func number(_ start: Int, _ width: Int) -> Int? {
                var value = 0
                for i in start..<start + width {
                    let digit = Int(b[i]) - 0x30
                    guard (0...9).contains(digit) else { return nil }
                    value = value * 10 + digit
                }
                return value
            }
            guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
                let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
                (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
                hour < 24, minute < 60, second < 60  // a leap second: `loose` decides, as it always has
            else { return nil }
            return Int64(daysSinceEpoch(year: year, month: month, day: day)) * 86_400
                + Int64(hour * 3600 + minute * 60 + second)
        }
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from 1970-01-01 to the date in the proleptic Gregorian calendar
    /// (the "days from civil" algorithm: years that start in March, in 400-year eras).
    private static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * ((month + 9) % 12) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func loose(_ text: String) -> Int64? {
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
