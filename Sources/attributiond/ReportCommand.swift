import ArgumentParser
import AttributionCore
import AttributionStore

/// `attributiond report`: what each partner brought and earned (docs/cli.md).
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Per partner: customers, active subscriptions, and per currency transactions, gross, refunded, net and commission.")

    @OptionGroup var common: CommonOptions

    @Option(help: "First day included, YYYY-MM-DD (UTC), on the transaction's occurred_at.")
    var from: String?

    @Option(help: "First day excluded, YYYY-MM-DD (UTC): --from 2026-11-01 --to 2026-12-01 is November.")
    var to: String?

    @Option(help: "Only this partner (and no unattributed entry).")
    var partner: String?

    @Option(help: "live (default), test or all: which Stripe mode's data to count.")
    var mode: String = "live"

    @Option(help: "table (default), csv or json.")
    var format: String = "table"

    func run() async throws {
        let request = try parsedRequest()
        guard ["table", "csv", "json"].contains(format) else {
            throw UsageError(message: "invalid format '\(format)': expected table, csv or json")
        }
        let settings = try await common.settings()
        let report: Report
        do {
            // Read-only: the report can run beside a writing daemon and never changes the data.
            report = try AppDatabase.report(path: settings.databasePath, request)
        } catch {
            throw RuntimeFailure(message: error.description)
        }
        switch format {
        case "csv": print(report.csvText(), terminator: "")
        case "json": print(try report.jsonText())
        default: print(report.tableText(), terminator: "")
        }
    }

    func parsedRequest() throws -> ReportRequest {
        guard let mode = ReportMode(rawValue: mode) else {
            throw UsageError(message: "invalid mode '\(mode)': expected live, test or all")
        }
        var bounds: [Int64] = []
        for (name, value) in [("--from", from), ("--to", to)] {
            guard let value else { continue }
            guard let t = Timestamp.parse(value) else {
                throw UsageError(message: "invalid \(name) '\(value)': expected a date YYYY-MM-DD (UTC)")
            }
            bounds.append(t)
        }
        if from != nil, to != nil, bounds[0] >= bounds[1] {
            throw UsageError(message: "invalid period: --from \(from!) is not before --to \(to!)")
        }
        return ReportRequest(from: from, to: to, partner: partner, mode: mode)
    }
}
