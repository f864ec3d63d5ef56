import ArgumentParser
import AttributionCore
import AttributionStore

/// `attributiond rewards set|end|hold|list`: what partners earn, in time (docs/ledger.md).
struct RewardsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rewards", abstract: "Set, end and list reward rules, and the hold period.",
        subcommands: [SetRule.self, End.self, Hold.self, List.self])

    struct SetRule: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Set the rule of a scope from a moment on. Most specific wins: partner + product, partner, product, default.",
            discussion: """
                Earlier transactions keep the rule in force when they occurred. Without --from, a scope \
                with no rule yet gets it from the beginning of time, one with a rule from now. A flat \
                rule pays its amount per transaction in its currency only; transactions in other \
                currencies fall through to the next less specific rule.
                """)
        @OptionGroup var common: CommonOptions
        @Option(help: "Only this partner (default: all partners).") var partner: String?
        @Option(help: "Only this product key (default: all products).") var product: String?
        @Option(help: "Percentage of the net amount: 10 means 10 %, 12.5 is allowed.") var percent: String?
        @Option(help: "Flat amount per transaction, in the currency's units (5 or 4.99 for USD, 500 for JPY).") var flat: String?
        @Option(help: "Currency of --flat, e.g. usd.") var currency: String?
        @Option(help: "In force from this date (YYYY-MM-DD or ISO-8601 UTC).") var from: String?
        @Option(parsing: .unconditional, help: "Pay only for transactions in the customer's first N calendar months.") var months: Int?
        @Option(parsing: .unconditional, help: "Pay only for the customer's first N paid transactions.") var payments: Int?

        func run() async throws {
            let reward = try reward()
            let from = try from.map { try LedgerOptions.date($0, option: "from") }
            let months = try LedgerOptions.positive(months, option: "months")
            let payments = try LedgerOptions.positive(payments, option: "payments")
            let database = try common.open(try await common.settings())
            let outcome = try database.recordRuleChange(
                partnerKey: partner, productKey: product, reward: reward,
                from: from, maxMonths: months, maxPayments: payments, now: now())
            var limits = ""
            if let months { limits += " for the customer's first \(months) month\(months == 1 ? "" : "s")" }
            if let payments { limits += " for the customer's first \(payments) payment\(payments == 1 ? "" : "s")" }
            print(
                "\(AppDatabase.scopeText(partner, product)): \(RewardsCommand.text(reward))\(limits) "
                    + RewardsCommand.since(outcome))
        }

        func reward() throws -> RewardRule.Reward {
            switch (percent, flat, currency) {
            case (let p?, nil, nil):
                guard let bps = RewardRule.basisPoints(fromPercent: p) else {
                    throw UsageError(message: "invalid --percent '\(p)': expected 0 to 100 with at most two decimals")
                }
                return .percent(bps: bps)
            case (nil, let f?, let c?):
                let code = try LedgerOptions.currency(c)
                return .flat(amount: try LedgerOptions.amount(f, currency: code, option: "flat"), currency: code)
            case (nil, _?, nil):
                throw UsageError(message: "--flat needs --currency")
            default:
                throw UsageError(message: "give either --percent P or --flat AMOUNT --currency C")
            }
        }
    }

    struct End: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "End the rule of a scope from a moment on (default: now); the next less specific scope decides.")
        @OptionGroup var common: CommonOptions
        @Option(help: "Only this partner (default: all partners).") var partner: String?
        @Option(help: "Only this product key (default: all products).") var product: String?
        @Option(help: "Ended from this date (YYYY-MM-DD or ISO-8601 UTC).") var from: String?

        func run() async throws {
            let from = try from.map { try LedgerOptions.date($0, option: "from") }
            let database = try common.open(try await common.settings())
            let outcome = try database.recordRuleChange(
                partnerKey: partner, productKey: product, reward: nil,
                from: from, now: now())
            print("\(AppDatabase.scopeText(partner, product)): no rule \(RewardsCommand.since(outcome))")
        }
    }

    struct Hold: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set how many days a commission waits for refunds and disputes before it can be paid (default 30).")
        @OptionGroup var common: CommonOptions
        @Argument(help: "The hold period in days (0 or more).") var days: Int

        func run() async throws {
            guard (0...3650).contains(days) else { throw UsageError(message: "invalid hold \(days): expected 0 to 3650 days") }
            let before = try common.open(try await common.settings()).recordHold(days: days, now: now())
            print("hold period: \(days) days (was \(before))")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the rules in force now (with --all: every rule and end ever recorded).")
        @OptionGroup var common: CommonOptions
        @Flag(help: "Every rule and end ever recorded, oldest first.") var all = false

        func run() async throws {
            let database = try common.open(try await common.settings())
            let records = all ? try database.ruleHistory() : try database.rulesInForce(at: now())
            print("hold period: \(try database.holdDays()) days")
            guard !records.isEmpty else {
                print("no reward rules: every commission is 0")
                return
            }
            var rows = [["PARTNER", "PRODUCT", "REWARD", "LIMIT", "FROM"] + (all ? ["RECORDED"] : [])]
            for r in records {
                rows.append(
                    [
                        r.partnerKey ?? "(all)", r.productKey ?? "(all)", r.reward.map(RewardsCommand.text) ?? "ended",
                        RewardsCommand.limit(r), r.effectiveFrom == "1970-01-01T00:00:00Z" ? "beginning" : r.effectiveFrom,
                    ]
                        + (all ? [r.recordedAt] : []))
            }
            print(TextTable.render(rows), terminator: "")
        }
    }

    static func text(_ reward: RewardRule.Reward) -> String {
        RewardRule(reward: reward).rewardDescription
    }

    static func limit(_ r: RuleRecord) -> String {
        [r.maxMonths.map { "\($0) months" }, r.maxPayments.map { "\($0) payments" }].compactMap { $0 }
            .joined(separator: ", ").nonEmpty ?? "-"
    }

    /// `from the beginning` or `from <time>; earlier transactions keep <rule>`.
    static func since(_ o: RuleChangeOutcome) -> String {
        guard o.effectiveFrom > 0 else { return "from the beginning" }
        let earlier = o.previous.map { "earlier transactions keep \(text($0))" } ?? "earlier transactions keep no rule of this scope"
        return "from \(Timestamp.iso(o.effectiveFrom)); \(earlier)"
    }
}

extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}
