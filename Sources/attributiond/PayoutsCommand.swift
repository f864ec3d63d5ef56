import ArgumentParser
import AttributionCore
import AttributionStore
import Foundation

/// `attributiond payouts create|list|show|export|mark-paid|void` (docs/ledger.md).
struct PayoutsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "payouts", abstract: "Pay partners what is due, and keep what was paid.",
        subcommands: [Create.self, List.self, Show.self, Export.self, MarkPaid.self, VoidPayout.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record a payout of every live-mode balance due (one line per partner and currency).",
            discussion: """
                A line pays exactly what is due: the commissions past the hold period, minus what was \
                paid of them before (clawbacks are netted). A negative balance, or one under the \
                --minimum of its currency, carries forward.
                """)
        @OptionGroup var common: CommonOptions
        @Option(help: "Hold boundary: commissions of transactions before this date minus the hold (default: now).")
        var asOf: String?
        @Option(help: "Only this partner.") var partner: String?
        @Option(help: "Minimum line, in major units of the --currency that follows it (repeatable).") var minimum: [String] = []
        @Option(help: "Currency of each --minimum.") var currency: [String] = []
        @Flag(help: "Print what would be paid; record nothing.") var dryRun = false

        func run() async throws {
            let current = now()
            let asOf = try asOf.map { try LedgerOptions.date($0, option: "as-of") } ?? current
            guard asOf <= current else {
                throw UsageError(message: "invalid --as-of \(Timestamp.iso(asOf)): it is in the future")
            }
            guard minimum.count == currency.count else {
                throw UsageError(
                    message: minimum.count > currency.count
                        ? "--minimum needs --currency"
                        : "--currency needs --minimum")
            }
            var minimums: [String: Int64] = [:]
            for (amount, code) in zip(minimum, currency) {
                let c = try LedgerOptions.currency(code)
                minimums[c] = try LedgerOptions.amount(amount, currency: c, option: "minimum")
            }
            let database = try common.open(try await common.settings())
            let request = AppDatabase.PayoutRequest(asOf: asOf, partner: partner, minimums: minimums)
            var recorded: String?
            let plan: PayoutPlan?
            if dryRun {
                plan = try database.planPayout(request)
            } else {
                let payout = try database.createPayout(request, now: current)
                (plan, recorded) = (payout?.plan, payout?.payoutId)
            }
            guard let plan else {
                print("nothing due as of \(Timestamp.iso(asOf)): no payout recorded")
                return
            }
            let totals = Dictionary(grouping: plan.lines.map(\.line), by: \.currency).sorted { $0.key < $1.key }
                .map { Money.format($0.value.reduce(0) { $0 + $1.amount }, currency: $0.key) }
            if dryRun { print("dry run: nothing recorded") }
            var rows = [["PARTNER", "CURRENCY", "ITEMS", "AMOUNT"]]
            for p in plan.lines {
                let l = p.line
                rows.append([l.partnerKey, l.currency.uppercased(), String(p.items), Money.format(l.amount, currency: l.currency)])
            }
            print(
                "\(recorded == nil ? "would record" : "recorded") payout \(recorded.map { $0 + " " } ?? "")as of "
                    + "\(Timestamp.iso(asOf)), hold \(plan.holdDays) days: \(plan.lines.count) line"
                    + "\(plan.lines.count == 1 ? "" : "s"), \(totals.joined(separator: ", "))\n")
            print(TextTable.render(rows, rightAligned: [2, 3]), terminator: "")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List payouts, newest first.")
        @OptionGroup var common: CommonOptions

        func run() async throws {
            let payouts = try common.open(try await common.settings()).payouts()
            guard !payouts.isEmpty else {
                print("no payouts yet")
                return
            }
            var rows = [["PAYOUT", "CREATED", "AS OF", "STATUS", "LINES", "TOTAL"]]
            for p in payouts {
                rows.append([
                    p.payoutId, p.createdAt, p.asOf, p.status, String(p.lines.count),
                    p.totals.map { Money.format($0.amount, currency: $0.currency) }.joined(separator: ", "),
                ])
            }
            print(TextTable.render(rows, rightAligned: [4]), terminator: "")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a payout: its lines (table) or its items (csv, json).")
        @OptionGroup var common: CommonOptions
        @Argument(help: "The payout id (po_…).") var id: String
        @Option(help: "table (default), csv or json.") var format = "table"

        func run() async throws {
            guard ["table", "csv", "json"].contains(format) else {
                throw UsageError(message: "invalid --format '\(format)': expected table, csv or json")
            }
            let payout = try await PayoutsCommand.find(id, common)
            switch format {
            case "csv": print(LedgerRender.payoutCSV(payout), terminator: "")
            case "json": print(try StableJSON.text(payout))
            default: print(LedgerRender.payoutTable(payout), terminator: "")
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a payout's lines for a mass-payment upload (csv, json, or PayPal Payouts' bulk file).")
        @OptionGroup var common: CommonOptions
        @Argument(help: "The payout id (po_…).") var id: String
        @Option(help: "csv (default), json or paypal.") var format = "csv"
        @Option(help: "With --format paypal: the one currency of the file.") var currency: String?

        func run() async throws {
            guard ["csv", "json", "paypal"].contains(format) else {
                throw UsageError(message: "invalid --format '\(format)': expected csv, json or paypal")
            }
            if format == "paypal" && currency == nil { throw UsageError(message: "--format paypal needs --currency") }
            if format != "paypal" && currency != nil { throw UsageError(message: "--currency goes with --format paypal") }
            let code = try currency.map(LedgerOptions.currency)
            let payout = try await PayoutsCommand.find(id, common)
            let missing = payout.lines.filter { ($0.email ?? "").isEmpty }.map(\.partnerKey)
            switch format {
            case "paypal":
                let file = LedgerRender.paypal(payout, currency: code!)
                guard file.rows <= 5_000 else {
                    throw RuntimeFailure(message: "cannot export payout \(id) for PayPal: \(file.rows) rows, at most 5,000 per file")
                }
                for partner in file.withoutEmail {
                    warn("partner \(partner) has no email: left out of the PayPal file (set it with 'partners add \(partner) --email E')")
                }
                print(file.text, terminator: "")
            case "json":
                for partner in missing { warn("partner \(partner) has no email") }
                print(try LedgerRender.exportJSON(payout))
            default:
                for partner in missing { warn("partner \(partner) has no email") }
                print(LedgerRender.exportCSV(payout), terminator: "")
            }
        }
    }

    struct MarkPaid: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "mark-paid", abstract: "Record that a payout was paid.")
        @OptionGroup var common: CommonOptions
        @Argument(help: "The payout id (po_…).") var id: String
        @Option(help: "The bank or PayPal reference of the transfer.") var reference: String?

        func run() async throws {
            try common.open(try await common.settings()).markPayoutPaid(id, reference: reference, now: now())
            print("payout \(id) marked paid\(reference.map { " (reference \($0))" } ?? "")")
        }
    }

    struct VoidPayout: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "void", abstract: "Void a payout that was not paid: its items are released and become due again.")
        @OptionGroup var common: CommonOptions
        @Argument(help: "The payout id (po_…).") var id: String

        func run() async throws {
            try common.open(try await common.settings()).voidPayout(id, now: now())
            print("payout \(id) voided: its commissions are due again")
        }
    }

    static func find(_ id: String, _ common: CommonOptions) async throws -> PayoutDetail {
        guard let payout = try common.open(try await common.settings()).payout(id) else {
            throw RuntimeFailure(message: "cannot find payout \(id): no such payout")
        }
        return payout
    }
}

func warn(_ message: String) {
    FileHandle.standardError.write(Data("attributiond: warning: \(message)\n".utf8))
}
