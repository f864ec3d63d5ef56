import ArgumentParser
import AttributionCore
import AttributionStore
import Foundation

extension EventsCommand {
    /// `attributiond events prune --ignored --before DATE`.
    struct Prune: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete ignored events (types attribution does not use) received before DATE.",
            discussion:
                "Nothing else is ever deleted from the inbox, so a rebuild is unchanged. Runs in short transactions while serve keeps taking webhooks."
        )
        @OptionGroup var common: CommonOptions
        @Flag(help: "Required: only ignored events are pruned.") var ignored = false
        @Option(help: "YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC): events received before it go.") var before: String?

        func validate() throws {
            guard ignored else { throw ValidationError("events prune needs --ignored") }
            guard let before else { throw ValidationError("events prune needs --before DATE") }
            guard Timestamp.parse(before) != nil else {
                throw ValidationError("invalid date '\(before)': expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ")
            }
        }

        func run() async throws {
            let cutoff = Timestamp.parse(before ?? "")!
            let database = try common.open(try await common.settings())
            do {
                let r = try await database.pruneIgnored(before: cutoff)
                print(
                    "pruned \(r.deleted) ignored event(s) in \(r.batches) batch(es), longest \(String(format: "%.1f", r.longestBatchMilliseconds)) ms"
                )
                if r.incrementalVacuum {
                    print("released \(r.pagesReleased) page(s), \(r.pagesReleased * r.pageSize) bytes, to the file system")
                } else if r.freePagesLeft > 0 {
                    print("\(r.freePagesLeft) free page(s) stay in the file for new events (this database predates incremental vacuum)")
                }
            } catch {
                throw RuntimeFailure(message: error.description)
            }
        }
    }
}
