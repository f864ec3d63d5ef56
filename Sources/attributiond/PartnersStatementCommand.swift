import ArgumentParser
import AttributionCore
import AttributionStore

/// `attributiond partners statement KEY`: what a partner is sent each month.
struct PartnersStatementCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "statement",
        abstract: "A partner's statement: its customers, the period's transactions with commission and status, payouts, balance.",
        discussion: "--format html prints one self-contained page (inline CSS, no scripts) that prints on A4.")
    @OptionGroup var common: CommonOptions
    @Argument(help: "The partner key.") var key: String
    @Option(help: "Transactions from this date (YYYY-MM-DD or ISO-8601 UTC).") var from: String?
    @Option(help: "Transactions before this date.") var to: String?
    @Option(help: "table (default), json or html.") var format = "table"

    func run() async throws {
        guard ["table", "json", "html"].contains(format) else {
            throw UsageError(message: "invalid --format '\(format)': expected table, json or html")
        }
        let from = try from.map { Timestamp.iso(try LedgerOptions.date($0, option: "from")) }
        let to = try to.map { Timestamp.iso(try LedgerOptions.date($0, option: "to")) }
        let statement = try common.open(try await common.settings()).statement(partner: key, from: from, to: to)
        switch format {
        case "json": print(try StableJSON.text(statement))
        case "html": print(statement.htmlText(), terminator: "")
        default: print(statement.tableText(), terminator: "")
        }
    }
}
