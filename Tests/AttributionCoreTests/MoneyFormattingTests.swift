import AttributionCore
import Testing

/// Amounts are minor units; people read them with their currency's decimals.
@Suite struct MoneyFormattingTests {
    @Test(arguments: [
        (Int64(1234), "usd", "12.34 USD"),
        (0, "usd", "0.00 USD"),
        (5, "eur", "0.05 EUR"),
        (123_456_789, "gbp", "1,234,567.89 GBP"),
        (1500, "jpy", "1,500 JPY"),
        (1_500_000, "JPY", "1,500,000 JPY"),
        (999, "krw", "999 KRW"),
        (12345, "kwd", "12.345 KWD"),
        (5, "bhd", "0.005 BHD"),
        (-250, "usd", "-2.50 USD"),
    ])
    func formats(minor: Int64, currency: String, text: String) {
        #expect(Money.format(minor, currency: currency) == text)
    }

    @Test func exponents() {
        #expect(
            ["bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"]
                .allSatisfy { Money.exponent(of: $0) == 0 })
        #expect(["bhd", "jod", "kwd", "omr", "tnd"].allSatisfy { Money.exponent(of: $0) == 3 })
        #expect(["usd", "eur", "gbp", "chf"].allSatisfy { Money.exponent(of: $0) == 2 })
    }

    @Test func parsesHumanAmountsIntoMinorUnits() {
        #expect(Money.parse("5", currency: "usd") == 500)
        #expect(Money.parse("4.99", currency: "usd") == 499)
        #expect(Money.parse("4.5", currency: "usd") == 450)
        #expect(Money.parse("500", currency: "jpy") == 500)
        #expect(Money.parse("1.5", currency: "jpy") == nil)
        #expect(Money.parse("1.234", currency: "kwd") == 1234)
        #expect(Money.parse("1.234", currency: "usd") == nil)
        #expect(Money.parse("-1", currency: "usd") == nil)
        #expect(Money.parse("1.", currency: "usd") == nil)
        #expect(Money.parse("abc", currency: "usd") == nil)
    }
}
