import ArgumentParser
import AttributionCore
import AttributionStore
import Foundation

/// `attributiond events list|show|retry|rebuild`: operate the inbox.
struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events", abstract: "List, show, retry and rebuild inbox events.",
        subcommands: [List.self, Show.self, Retry.self, Rebuild.self, Prune.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List inbox events, newest first.")
        @OptionGroup var common: CommonOptions
        @Option(help: "Only events with this status: pending, applied, ignored, failed or dead.") var status: String?
        @Option(help: "Only events that came in this way: webhook, import, backfill or admin.") var origin: String?
        @Option(help: "At most this many rows.") var limit: Int = 100

        func run() async throws {
            var filter: InboxStatus?
            if let status {
                guard let s = InboxStatus(rawValue: status) else {
                    throw UsageError(message: "invalid status '\(status)': expected pending, applied, ignored, failed or dead")
                }
                filter = s
            }
            var originFilter: InboxOrigin?
            if let origin {
                guard let o = InboxOrigin(rawValue: origin) else {
                    throw UsageError(message: "invalid origin '\(origin)': expected webhook, import, backfill or admin")
                }
                originFilter = o
            }
            let database = try common.open(try await common.settings())
            for row in try database.inboxRows(status: filter, origin: originFilter, limit: limit) {
                let status = row.status.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0)
                let origin = row.origin.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)
                var line = "\(row.receivedAt)  \(status)  \(origin)  \(row.eventId)  \(row.type)"
                if row.attempts > 0 { line += "  attempts=\(row.attempts)" }
                if let error = row.lastError { line += "  error=\(error)" }
                print(line)
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one event with its payload as pretty JSON.")
        @OptionGroup var common: CommonOptions
        @Argument(help: "The event id.") var id: String

        func run() async throws {
            let database = try common.open(try await common.settings())
            guard var row = try database.inboxRow(eventId: id) else {
                throw RuntimeFailure(message: "no event \(id) in the inbox")
            }
            let payload = row.payload ?? ""
            row.payload = nil
            try printJSON(row)
            if let object = try? JSONSerialization.jsonObject(with: Data(payload.utf8)),
                let pretty = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            {
                print(String(decoding: pretty, as: UTF8.self))
            } else {
                print(payload)
            }
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a failed or dead event (or every dead one) pending again.")
        @OptionGroup var common: CommonOptions
        @Argument(help: "The event id.") var id: String?
        @Flag(help: "Retry every dead event.") var dead = false

        func validate() throws {
            if (id == nil) == !dead { throw ValidationError("give an event id or --dead") }
        }

        func run() async throws {
            let database = try common.open(try await common.settings())
            if dead {
                print("\(try database.retryDead()) dead event(s) made pending")
            } else if let id {
                guard try database.retry(eventId: id) == 1 else {
                    throw RuntimeFailure(message: "cannot retry \(id): no failed or dead event with that id")
                }
                print("\(id) made pending")
            }
        }
    }

    struct Rebuild: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-derive every domain table from the applied inbox events, while intake goes on.")
        @OptionGroup var common: CommonOptions
        @OptionGroup var apply: ApplyOptions

        func run() async throws {
            let settings = try await common.settings(extra: apply.flags)
            let database = try common.open(settings)
            let apply = try await derivationSettings(database, settings, recordFirst: false)
            let result = try database.rebuild(settings: apply, now: now())
            print("rebuilt from \(result.applied.count) applied event(s); no inbox status changed")
        }
    }
}
