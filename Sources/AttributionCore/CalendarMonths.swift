#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Calendar months in UTC, for `--months N` windows (docs/ledger.md).
public enum CalendarMonths {
    /// `unix` plus `months` calendar months; a day past the target month's end
    /// clamps to its last day (Jan 31 + 1 month = Feb 28 or 29), the time of day kept.
    public static func add(_ months: Int, to unix: Int64) -> Int64 {
        var t = time_t(unix)
        var tm = tm()
        gmtime_r(&t, &tm)
        let total = Int(tm.tm_year) * 12 + Int(tm.tm_mon) + months
        let year = total / 12
        let month = total % 12
        tm.tm_year = Int32(year)
        tm.tm_mon = Int32(month)
        tm.tm_mday = Int32(min(Int(tm.tm_mday), daysIn(month: month, year: year + 1900)))
        return Int64(timegm(&tm))
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 1: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 3, 5, 8, 10: 30
        default: 31
        }
    }
}
