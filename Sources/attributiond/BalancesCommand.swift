import ArgumentParser
import AttributionCore
import AttributionStore

/// `attributiond balances`: per partner and currency, earned, pending, held, paid and due (docs/ledger.md).
struct BalancesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "balances",
        abstract: "Show what each partner earned, what waits (pending, held), what was paid and what is due.",
        discussion: "A negative due is a clawback still to recover: the next payout nets it.")
    @OptionGroup var common: CommonOptions
    @Option(help: "live (default), test or all.") var mode = "live"
    @Option(help: "table (default), csv or json.") var format = "table"

    func run() async throws {
        guard let mode = ReportMode(rawValue: mode) else {
            throw UsageError(message: "invalid --mode '\(mode)': expected live, test or all")
        }
        guard ["table", "csv", "json"].contains(format) else {
            throw UsageError(message: "invalid --format '\(format)': expected table, csv or json")
        }
        let rows = try common.open(try await common.settings()).balances(mode: mode)
        switch format {
        case "csv": print(LedgerRender.balancesCSV(rows), terminator: "")
        case "json": print(try StableJSON.text(rows))
        default: print(LedgerRender.balancesTable(rows, mode: mode.rawValue), terminator: "")
        }
    }
}
