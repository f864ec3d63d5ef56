import ArgumentParser
import Foundation

/// `attributiond-bench`: measures ingest, apply and report against baselines
/// taken in the same run, and prints ratios (absolute times drift on shared machines).
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attributiond-bench",
        abstract: "Benchmark attributiond against baselines measured in the same run.",
        subcommands: [Run.self, BareServer.self, ReferenceIntakeServer.self], defaultSubcommand: Run.self)

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run every benchmark and print the table.")
        @Option(help: "Seconds of load per ingest run.") var seconds = 5
        @Option(help: "Concurrent connections of the load generator.") var connections = 64
        @Option(help: "Events in the apply backlog.") var applyEvents = 100_000
        @Option(help: "Rounds of the apply and ingest rows; each pairs attributiond with its baseline, and the row gives the median.")
        var rounds = 5
        @Option(help: "Transactions in the report database.") var reportTransactions = 1_000_000
        @Option(help: "Charges per customer key for the hot-key rows (comma-separated).") var hotKeySizes = "1,1000,100000"
        @Option(help: "Inbox events for the rebuild row.") var rebuildEvents = 1_000_000
        @Option(help: "Events in the import row's JSON-lines file (run it with --only import).") var importEvents = 1_000_000
        @Option(help: "Ignored events that the prune row deletes while intake runs (run it with --only prune).") var pruneEvents = 100_000
        @Option(
            help:
                "Only these parts: ingest, apply, hotkey, report, rebuild, import, prune (comma-separated; import and prune only when named)."
        )
        var only: String?

        func run() async throws {
            let parts = Set((only ?? "ingest,apply,hotkey,report,rebuild").split(separator: ",").map(String.init))
            let release = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            var table = ResultTable()
            if parts.contains("ingest") {
                try await IngestBench(binaries: release, seconds: seconds, connections: connections, rounds: rounds).run(into: &table)
            }
            if parts.contains("apply") {
                try await ApplyBench(events: applyEvents, rounds: rounds).run(into: &table)
            }
            if parts.contains("hotkey") {
                let sizes = hotKeySizes.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
                try await HotKeyBench(sizes: sizes, rounds: rounds).run(into: &table)
            }
            if parts.contains("rebuild") {
                try await RebuildBench(events: rebuildEvents).run(into: &table)
            }
            if parts.contains("import") {
                try await ImportBench(binaries: release, events: importEvents).run(into: &table)
            }
            if parts.contains("prune") {
                try await PruneBench(binaries: release, events: pruneEvents, seconds: seconds, connections: connections)
                    .run(into: &table)
            }
            if parts.contains("report") {
                try ReportBench(binaries: release, transactions: reportTransactions).run(into: &table)
            }
            print("")
            print(table.render())
        }
    }
}

/// Rows of `name | value | baseline | ratio | target` printed at the end.
struct ResultTable {
    var rows: [[String]] = [["measure", "attributiond", "baseline", "ratio", "target"]]

    mutating func add(_ measure: String, _ value: String, baseline: String = "", ratio: String = "", target: String = "") {
        rows.append([measure, value, baseline, ratio, target])
        print("  \(measure): \(value)\(baseline.isEmpty ? "" : " (baseline \(baseline), ratio \(ratio))")")
    }

    func render() -> String {
        let widths = (0..<5).map { c in rows.map { $0[c].count }.max()! }
        return rows.enumerated().map { i, row in
            let line =
                "| "
                + row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
                .joined(separator: " | ") + " |"
            return i == 0 ? line + "\n|" + widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "|") + "|" : line
        }.joined(separator: "\n")
    }
}

func format(_ value: Double, _ digits: Int = 0) -> String { String(format: "%.\(digits)f", value) }

/// The middle value (the mean of the two middle ones for an even count).
func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return 0 }
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}
