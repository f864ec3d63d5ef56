import AttributionCore
import AttributionServer
import AttributionStore
import Foundation

/// What an import or backfill found or stored, by kind and type, for the summary it prints.
struct ImportTally {
    private(set) var events: [String: Int] = [:]
    private(set) var snapshots: [String: Int] = [:]
    private(set) var duplicates: [String: Int] = [:]
    private(set) var items = 0
    /// Bytes of the payloads stored, to size the batches that apply them.
    var payloadBytes = 0
    var averagePayloadBytes: Int { payloadBytes / max(1, storedCount) }

    var storedCount: Int { events.values.reduce(0, +) + snapshots.values.reduce(0, +) }
    var duplicateCount: Int { duplicates.values.reduce(0, +) }

    mutating func add(_ kind: ImportedItem.Kind, _ label: String, duplicate: Bool) {
        items += 1
        if duplicate {
            duplicates[label, default: 0] += 1
        } else if kind == .event {
            events[label, default: 0] += 1
        } else {
            snapshots[label, default: 0] += 1
        }
    }

    /// `stored 3 event(s): charge.succeeded 2, customer.created 1` and the like, one line per kind.
    func lines(verb: String) -> [String] {
        func line(_ what: String, _ counts: [String: Int]) -> String {
            let total = counts.values.reduce(0, +)
            let byType = counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            return "\(verb) \(total) \(what)" + (byType.isEmpty ? "" : ": \(byType)")
        }
        return [
            line("event(s)", events), line("snapshot(s)", snapshots),
            "\(duplicateCount) duplicate(s) already in the inbox"
                + (duplicates.isEmpty
                    ? ""
                    : ": "
                        + duplicates.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")),
        ]
    }
}

/// A progress line on stderr for long runs: nothing for the first two seconds,
/// then one a second rewritten in place on a terminal, or one line every ten
/// seconds into a log (journald, a file), which a long import would flood.
final class ProgressLine {
    private let start = ContinuousClock.now
    private var last = ContinuousClock.now
    private var shown = false
    private let terminal = isatty(2) == 1

    /// Shows `text()` if it is time to; `text` gets the seconds elapsed.
    func update(_ text: (Double) -> String) {
        let now = ContinuousClock.now
        guard now - start >= .seconds(2), now - last >= (terminal || !shown ? .seconds(1) : .seconds(10)) else { return }
        last = now
        shown = true
        let elapsed = Double((now - start).components.seconds) + Double((now - start).components.attoseconds) / 1e18
        write(terminal ? "\r\u{1B}[K\(text(elapsed))" : "\(text(elapsed))\n")
    }

    /// Ends the line on a terminal, so what follows starts on a fresh one.
    func finish() {
        if shown && terminal { write("\n") }
    }

    private func write(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }

    static func rate(_ count: Int, _ seconds: Double) -> String {
        seconds > 0 ? "\(Int(Double(count) / seconds))/s" : "-"
    }
}

/// How many events applying took, by outcome (counts only: an import may apply millions).
struct ApplyCounts {
    var applied = 0, ignored = 0, failed = 0
    var processed: Int { applied + ignored + failed }

    var summary: String {
        var line = "applied \(applied), ignored \(ignored)"
        if failed > 0 { line += ", failed \(failed) (see `attributiond events list --status failed`)" }
        return line
    }
}

/// Events applied per transaction after an import: about 4 MiB of payloads.
/// The worker's batch reads and parses its events (and the next batch's) in
/// memory, and imported items may be up to 1 MiB each, so the batch shrinks
/// as the items grow and the import's memory stays bounded.
func importApplyBatch(averagePayloadBytes: Int) -> Int {
    min(500, max(4, (4 << 20) / max(1, averagePayloadBytes)))
}

/// Applies the events just stored, as the worker would (a running daemon's
/// worker may take some of them first; the inbox status keeps each exactly once).
func applyStoredEvents(
    _ database: AppDatabase, _ settings: ServerSettings, expected: Int,
    averagePayloadBytes: Int
) async throws -> ApplyCounts {
    let apply = try await derivationSettings(database, settings, recordFirst: false)
    var counts = ApplyCounts()
    let progress = ProgressLine()
    try await database.drainDue(
        batchSize: importApplyBatch(averagePayloadBytes: averagePayloadBytes), settings: apply, retry: settings.retry, now: { now() },
        afterBatch: { result, _ in
            counts.applied += result.applied.count
            counts.ignored += result.ignored.count
            counts.failed += result.failed.count
            progress.update { seconds in
                "applying: \(counts.processed) of \(expected) event(s), \(ProgressLine.rate(counts.processed, seconds))"
            }
        })
    progress.finish()
    return counts
}
