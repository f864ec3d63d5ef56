import ArgumentParser
import AttributionCore
import AttributionStore

/// `attributiond rewards set|list`: what partners earn.
struct RewardsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rewards", abstract: "Set and list reward rules.", subcommands: [SetRule.self, List.self])

    struct SetRule: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Set the rule of a scope (replacing it). Most specific wins: partner + product, partner, product, default.",
            discussion: """
                A flat rule pays its amount per transaction in its currency only; transactions \
                in other currencies fall through to the next less specific rule.
                """)
        @OptionGroup var common: CommonOptions
        @Option(help: "Only this partner (default: all partners).") var partner: String?
        @Option(help: "Only this product key (default: all products).") var product: String?
        @Option(help: "Percentage of the net amount: 10 means 10 %, 12.5 is allowed.") var percent: String?
        @Option(help: "Flat amount per transaction, in the currency's units (5 or 4.99 for USD, 500 for JPY).") var flat: String?
        @Option(help: "Currency of --flat, e.g. usd.") var currency: String?

        func run() async throws {
            let rule = RewardRule(partnerKey: partner, productKey: product, reward: try reward())
            let database = try common.open(try await common.settings())
            let replaced = try database.setRewardRule(rule)
            print("\(replaced ? "replaced" : "set") rule for \(RewardsCommand.scope(rule)): \(rule.rewardDescription)")
        }

        func reward() throws -> RewardRule.Reward {
            switch (percent, flat, currency) {
            case (let p?, nil, nil):
                guard let bps = RewardRule.basisPoints(fromPercent: p) else {
                    throw UsageError(message: "invalid --percent '\(p)': expected 0 to 100 with at most two decimals")
                }
                return .percent(bps: bps)
            case (nil, let f?, let c?):
                let code = c.lowercased()
                guard code.count == 3, code.allSatisfy({ $0.isASCII && $0.isLetter }) else {
                    throw UsageError(message: "invalid --currency '\(c)': expected a three-letter code such as usd")
                }
                guard let amount = Money.parse(f, currency: code) else {
                    throw UsageError(message: "invalid --flat '\(f)': expected an amount in \(code.uppercased()) "
                        + "with at most \(Money.exponent(of: code)) decimals")
                }
                return .flat(amount: amount, currency: code)
            case (nil, _?, nil):
                throw UsageError(message: "--flat needs --currency")
            default:
                throw UsageError(message: "give either --percent P or --flat AMOUNT --currency C")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List reward rules, most specific first.")
        @OptionGroup var common: CommonOptions

        func run() async throws {
            let database = try common.open(try await common.settings())
            let rules = try database.rewardRules()
            guard !rules.isEmpty else { print("no reward rules: every commission is 0"); return }
            let rows = [["PARTNER", "PRODUCT", "REWARD"]]
                + rules.map { [$0.partnerKey ?? "(all)", $0.productKey ?? "(all)", $0.rewardDescription] }
            print(TextTable.render(rows), terminator: "")
        }
    }

    static func scope(_ rule: RewardRule) -> String {
        "partner \(rule.partnerKey ?? "(all)"), product \(rule.productKey ?? "(all)")"
    }
}
