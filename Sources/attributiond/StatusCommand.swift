import ArgumentParser
import AttributionStore

/// `attributiond status`: inbox counts by status and by origin, worker lag, last event received.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show inbox counts by status and origin, worker lag and the last event received.")

    @OptionGroup var common: CommonOptions

    func run() async throws {
        let settings = try await common.settings()
        let database = try common.open(settings)
        let status = try await database.inboxStatus(now: now())
        print("database: \(settings.databasePath)")
        for s in InboxStatus.allCases {
            print("\(s.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) \(status.counts[s, default: 0])")
        }
        let origins = InboxOrigin.allCases.map { "\($0.rawValue) \(status.origins[$0, default: 0])" }
        print("by origin: \(origins.joined(separator: ", "))")
        print("oldest pending: \(status.oldestPendingAgeSeconds.map { "\($0) s ago" } ?? "none")")
        print("last received: \(status.lastReceivedAt ?? "never")")
    }
}
