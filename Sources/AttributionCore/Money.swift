/// Amounts in a currency's minor unit, as Stripe sends them, and their
/// formatting for people.
///
/// Stripe amounts are integers in the smallest unit of their currency: cents
/// for USD, yen for JPY (a zero-decimal currency), fils for KWD (three
/// decimals). Amounts of different currencies are never added together, so
/// every total in attributiond is kept per currency.
public enum Money {
    /// Currencies whose minor unit is the major unit (Stripe's zero-decimal list).
    static let zeroDecimal: Set<String> = [
        "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf",
    ]
    /// Currencies with three decimals.
    static let threeDecimal: Set<String> = ["bhd", "jod", "kwd", "omr", "tnd"]

    /// Number of decimals of `currency` (case-insensitive): 0, 2 or 3.
    public static func exponent(of currency: String) -> Int {
        let c = currency.lowercased()
        if zeroDecimal.contains(c) { return 0 }
        if threeDecimal.contains(c) { return 3 }
        return 2
    }

    /// `1234` usd → `12.34 USD`; `150000` jpy → `150,000 JPY`; `-5` usd → `-0.05 USD`.
    public static func format(_ minor: Int64, currency: String) -> String {
        "\(formatNumber(minor, currency: currency)) \(currency.uppercased())"
    }

    /// The number alone, with thousands separators and the currency's decimals.
    public static func formatNumber(_ minor: Int64, currency: String) -> String {
        let exponent = exponent(of: currency)
        let magnitude = minor.magnitude
        var scale: UInt64 = 1
        for _ in 0..<exponent { scale *= 10 }
        let major = magnitude / scale
        let fraction = magnitude % scale
        var text = grouped(major)
        if exponent > 0 {
            let digits = String(fraction)
            text += "." + String(repeating: "0", count: exponent - digits.count) + digits
        }
        return minor < 0 ? "-" + text : text
    }

    /// Parses a human amount (`5`, `5.5`, `12.34`) into minor units of `currency`;
    /// `nil` when it is not a non-negative number or has more decimals than the currency.
    public static func parse(_ text: String, currency: String) -> Int64? {
        guard let (units, decimals) = parseDecimal(text), decimals <= exponent(of: currency) else { return nil }
        var value = units
        for _ in decimals..<exponent(of: currency) {
            let (next, overflow) = value.multipliedReportingOverflow(by: 10)
            if overflow { return nil }
            value = next
        }
        return value
    }

    /// `12.5` → (125, 1). Digits with at most one dot; no sign, no exponent.
    static func parseDecimal(_ text: String) -> (Int64, Int)? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), !parts[0].isEmpty,
            parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) })
        else { return nil }
        let fraction = parts.count == 2 ? parts[1] : ""
        guard parts.count == 1 || !fraction.isEmpty, let value = Int64(parts[0] + fraction) else { return nil }
        return (value, fraction.count)
    }

    private static func grouped(_ value: UInt64) -> String {
        let digits = Array(String(value))
        var out = ""
        for (i, d) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(d)
        }
        return out
    }
}
