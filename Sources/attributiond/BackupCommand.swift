import ArgumentParser
import AttributionStore
import Foundation

/// `attributiond backup PATH [--verify]`: a consistent copy of the live database.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the database (online, while serve runs) to PATH, mode 0600.",
        discussion: "To restore, stop serve and copy the backup over the database (remove its -wal and -shm files).")

    @OptionGroup var common: CommonOptions
    @Argument(help: "Where the copy goes; replaced if it exists.") var path: String
    @Flag(help: "Check the copy with integrity_check and compare its inbox count.") var verify = false

    func run() async throws {
        let settings = try await common.settings()
        guard FileManager.default.fileExists(atPath: settings.databasePath) else {
            throw RuntimeFailure(message: "cannot back up \(settings.databasePath): no database there")
        }
        let database = try common.open(settings, readonly: true)
        let started = Date()
        do {
            let result = try database.backup(to: path, verify: verify)
            let seconds = Date().timeIntervalSince(started)
            print(
                "backed up \(result.inboxEvents) inbox events to \(result.path) (\(result.bytes) bytes, \(String(format: "%.1f", seconds)) s)\(result.verified ? ", verified" : "")"
            )
        } catch {
            throw RuntimeFailure(message: error.description)
        }
    }
}
