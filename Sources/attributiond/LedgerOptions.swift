import AttributionCore

/// Parsing shared by the ledger's commands (docs/ledger.md conventions).
enum LedgerOptions {
    /// A DATE option: `YYYY-MM-DD` (that day's 00:00:00Z) or an ISO-8601 UTC timestamp; exit 2 otherwise.
    static func date(_ text: String, option: String) throws -> Int64 {
        guard let t = Timestamp.parse(text) else {
            throw UsageError(message: "invalid --\(option) '\(text)': expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ")
        }
        return t
    }

    /// A currency code as Stripe writes it (lower case); exit 2 unless three letters.
    static func currency(_ text: String) throws -> String {
        let code = text.lowercased()
        guard code.count == 3, code.allSatisfy({ $0.isASCII && $0.isLetter }) else {
            throw UsageError(message: "invalid --currency '\(text)': expected a three-letter code such as usd")
        }
        return code
    }

    /// An amount in major units of `currency` (`63.44`, `1500` for JPY); exit 2 otherwise.
    static func amount(_ text: String, currency: String, option: String) throws -> Int64 {
        guard let amount = Money.parse(text, currency: currency) else {
            throw UsageError(
                message: "invalid --\(option) '\(text)': expected an amount in \(currency.uppercased()) "
                    + "with at most \(Money.exponent(of: currency)) decimals")
        }
        return amount
    }

    /// A positive count (`--months`, `--payments`); exit 2 otherwise.
    static func positive(_ value: Int?, option: String) throws -> Int? {
        guard let value else { return nil }
        guard value >= 1 else { throw UsageError(message: "invalid --\(option) \(value): expected 1 or more") }
        return value
    }
}
