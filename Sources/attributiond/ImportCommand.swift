import ArgumentParser
import AttributionCore
import AttributionStore
import Foundation

/// `attributiond import`: Stripe history from files (docs/import.md).
///
/// Two passes over the files: the first checks every item of every file and
/// stores nothing if any is invalid; the second stores them in batches of
/// their own transactions (a running daemon's webhooks keep getting the
/// writer), then the command applies what it stored.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Store Stripe events and objects from files: list pages, JSON arrays or JSON lines.",
        discussion: """
            Events are stored as if delivered (an event already in the inbox is a duplicate); objects (customer, \
            charge, subscription, invoice, checkout.session, promotion_code, dispute) as snapshot events dated \
            --as-of. Every item is checked first: one invalid item imports nothing.
            """)

    @OptionGroup var common: CommonOptions

    @Argument(help: "Files to read; - (or none) reads standard input.")
    var files: [String] = []

    @Option(help: "The time the object snapshots carry: YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (default: now).")
    var asOf: String?

    @Flag(help: "Only check the files and count what they hold; store nothing.")
    var dryRun = false

    /// Problems listed before the command gives up listing them.
    static let shownProblems = 20
    /// Items stored per transaction.
    static let batchSize = 500

    func run() async throws {
        var asOfTime = now()
        if let asOf {
            guard let parsed = Timestamp.parse(asOf) else {
                throw UsageError(message: "invalid --as-of '\(asOf)': expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ")
            }
            asOfTime = parsed
        }
        let inputs = try (files.isEmpty ? ["-"] : files).map(ImportInput.init)
        let settings = try await common.settings()
        let database = try common.open(settings)
        let found = try check(inputs, limit: settings.bodyLimit, asOf: asOfTime, database: database)
        if dryRun {
            print("checked \(found.items) item(s); nothing stored (--dry-run)")
            for line in found.lines(verb: "would store") { print(line) }
            return
        }
        let stored = try store(inputs, limit: settings.bodyLimit, asOf: asOfTime, database: database)
        for line in stored.lines(verb: "stored") { print(line) }
        let applied = try await applyStoredEvents(
            database, settings, expected: stored.storedCount,
            averagePayloadBytes: stored.averagePayloadBytes)
        print(applied.summary)
    }

    /// Reads every item; throws, listing the problems, if any is invalid.
    /// In a dry run, also counts the items already in the inbox.
    private func check(_ inputs: [ImportInput], limit: Int, asOf: Int64, database: AppDatabase) throws -> ImportTally {
        var tally = ImportTally()
        var problems: [String] = []
        var problemCount = 0
        var pending: [(ImportedItem.Kind, String, String)] = []
        func countPending() throws {
            let known = try database.knownEventIds(pending.map(\.2))
            for (kind, label, id) in pending { tally.add(kind, label, duplicate: known.contains(id)) }
            pending.removeAll(keepingCapacity: true)
        }
        for input in inputs {
            let progress = ProgressLine()
            try input.check(limit: limit) { output, offset in
                switch output {
                case .item(let bytes, let position):
                    do {
                        let item = try ImportedItem.read(bytes, asOf: asOf)
                        if dryRun {
                            pending.append((item.kind, item.label, item.event.id))
                            if pending.count == Self.batchSize { try countPending() }
                        } else {
                            tally.add(item.kind, item.label, duplicate: false)
                        }
                    } catch {
                        problemCount += 1
                        if problems.count < Self.shownProblems { problems.append("\(input.name): \(position): \(error)") }
                    }
                case .problem(let why, let position):
                    problemCount += 1
                    if problems.count < Self.shownProblems { problems.append("\(input.name): \(position): \(why)") }
                }
                progress.update { seconds in
                    "checking \(input.name): " + Self.progress(tally.items + pending.count, offset, input.size, seconds)
                }
            }
            progress.finish()
        }
        if dryRun { try countPending() }
        guard problemCount == 0 else {
            for problem in problems { FileHandle.standardError.write(Data("\(problem)\n".utf8)) }
            if problemCount > problems.count {
                FileHandle.standardError.write(Data("… and \(problemCount - problems.count) more\n".utf8))
            }
            throw RuntimeFailure(message: "cannot import: \(problemCount) invalid item(s); nothing was stored")
        }
        return tally
    }

    /// Stores every item, batch by batch; returns what was stored and what was already there.
    private func store(_ inputs: [ImportInput], limit: Int, asOf: Int64, database: AppDatabase) throws -> ImportTally {
        var tally = ImportTally()
        var batch: [ImportedItem] = []
        var batchBytes = 0
        func flush() throws {
            guard !batch.isEmpty else { return }
            let outcomes = try database.insertNow(batch.map { NewInboxEvent(imported: $0, origin: .import) }, receivedAt: now())
            for (item, outcome) in zip(batch, outcomes) {
                tally.add(item.kind, item.label, duplicate: outcome == .duplicate)
                if outcome == .stored { tally.payloadBytes += item.payload.utf8.count }
            }
            batch.removeAll(keepingCapacity: true)
            batchBytes = 0
        }
        for input in inputs {
            let progress = ProgressLine()
            try input.store(limit: limit) { output, offset in
                switch output {
                case .item(let bytes, let position):
                    // Checked in the first pass; a failure now means the file changed in between.
                    do { batch.append(try ImportedItem.read(bytes, asOf: asOf)) } catch {
                        throw RuntimeFailure(
                            message:
                                "cannot import \(input.name): it changed while importing (\(position): \(error)); \(tally.storedCount) event(s) were stored"
                        )
                    }
                    batchBytes += bytes.count
                    if batch.count >= Self.batchSize || batchBytes >= 4 << 20 { try flush() }
                case .problem(let why, let position):
                    throw RuntimeFailure(
                        message:
                            "cannot import \(input.name): it changed while importing (\(position): \(why)); \(tally.storedCount) event(s) were stored"
                    )
                }
                progress.update { seconds in "storing \(input.name): " + Self.progress(tally.items, offset, input.size, seconds) }
            }
            progress.finish()
        }
        try flush()
        return tally
    }

    static func progress(_ items: Int, _ bytes: Int64, _ size: Int64?, _ seconds: Double) -> String {
        var text = "\(items) item(s), \(ProgressLine.rate(items, seconds))"
        if let size, size > 0 {
            text += ", \(bytes >> 20) of \(size >> 20) MiB (\(min(100, bytes * 100 / size))%)"
        }
        return text
    }
}
