import ArgumentParser
import AttributionCore
import AttributionStore

/// `attributiond partners add|list|show`: the partners the business works with.
struct PartnersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "partners", abstract: "Add, list and show partners.",
        subcommands: [Add.self, List.self, Show.self, PartnersStatementCommand.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a partner, or update its name and email (options left out keep their value).")
        @OptionGroup var common: CommonOptions
        @Argument(help: "The partner key, as in referral links and Stripe metadata.") var key: String
        @Option(help: "Display name.") var name: String?
        @Option(help: "Contact email.") var email: String?
        @Option(
            name: .customLong("promotion-code"),
            help: "A Stripe promotion code's text (exact, case-sensitive) that attributes its customers to this partner; repeatable.")
        var promotionCodes: [String] = []

        func run() async throws {
            guard !key.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw UsageError(message: "invalid partner key: it is empty")
            }
            if let blank = promotionCodes.first(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
                throw UsageError(message: "invalid promotion code '\(blank)': it is empty")
            }
            let settings = try await common.settings()
            let row = try await common.open(settings).recordPartner(
                key: key, name: name, email: email,
                promotionCodes: promotionCodes,
                settings: settings.apply, now: now())
            print("partner \(row.partnerKey): name \(row.name ?? "-"), email \(row.email ?? "-")")
            for code in promotionCodes { print("promotion code \(code) attributes its customers to \(row.partnerKey)") }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every known partner.")
        @OptionGroup var common: CommonOptions

        func run() async throws {
            let partners = try common.open(try await common.settings()).partners()
            guard !partners.isEmpty else {
                print("no partners yet")
                return
            }
            let rows =
                [["PARTNER", "NAME", "EMAIL", "SOURCE", "CUSTOMERS", "SINCE"]]
                + partners.map {
                    [$0.partnerKey, $0.name ?? "-", $0.email ?? "-", $0.source, String($0.customers), $0.createdAt]
                }
            print(TextTable.render(rows, rightAligned: [4]), terminator: "")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one partner and the reward rules that concern it.")
        @OptionGroup var common: CommonOptions
        @Argument(help: "The partner key.") var key: String

        func run() async throws {
            let database = try common.open(try await common.settings())
            guard let p = try database.partner(key: key) else {
                throw RuntimeFailure(message: "cannot show partner \(key): no such partner")
            }
            print(
                """
                partner_key: \(p.partnerKey)
                name:        \(p.name ?? "-")
                email:       \(p.email ?? "-")
                source:      \(p.source)
                created_at:  \(p.createdAt)
                customers:   \(p.customers)
                """)
            let promos = try database.promotionCodes(partner: key)
            let shown = promos.codes + promos.waiting.map { "\($0) (not seen in Stripe yet)" }
            print("promotion codes: \(shown.isEmpty ? "none" : shown.joined(separator: ", "))")
            let rules = try database.rewardRules().filter { $0.partnerKey == nil || $0.partnerKey == key }
            print(rules.isEmpty ? "rules:       none (commission 0)" : "rules:")
            for rule in rules {
                print(
                    "  \(rule.partnerKey == nil ? "all partners" : "this partner"), "
                        + "\(rule.productKey.map { "product \($0)" } ?? "all products"): \(rule.rewardDescription)")
            }
        }
    }
}
