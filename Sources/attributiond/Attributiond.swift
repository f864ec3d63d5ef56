import ArgumentParser
import Foundation

/// `attributiond`: the daemon and its admin subcommands.
@main
struct Attributiond: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attributiond",
        abstract: "Self-hosted partner attribution for Stripe.",
        version: Version.current,
        subcommands: [
            ServeCommand.self, MigrateCommand.self, EventsCommand.self, StatusCommand.self,
            ReportCommand.self, PartnersCommand.self, RewardsCommand.self, CustomersCommand.self,
            SendTestEventsCommand.self, BackupCommand.self, SettingsCommand.self,
            ImportCommand.self, BackfillCommand.self, PayoutsCommand.self, BalancesCommand.self,
        ]
    )

    /// Exit codes of docs/cli.md: 0 ok, 1 failure at run time, 2 bad usage or configuration.
    /// ArgumentParser's own usage errors exit 64; they are mapped to a one-line message and 2.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as UsageError {
            FileHandle.standardError.write(Data("attributiond: \(error.message)\n".utf8))
            Foundation.exit(2)
        } catch let error as RuntimeFailure {
            FileHandle.standardError.write(Data("attributiond: \(error.message)\n".utf8))
            Foundation.exit(1)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                exit(withError: error)
            } else if code == .validationFailure {
                let message = Self.message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid usage"
                FileHandle.standardError.write(Data("attributiond: \(message) (see --help)\n".utf8))
                Foundation.exit(2)
            } else {
                FileHandle.standardError.write(Data("attributiond: \(Self.message(for: error))\n".utf8))
                Foundation.exit(1)
            }
        }
    }
}

/// Bad usage or configuration: exit code 2.
struct UsageError: Error { var message: String }
/// A failure at run time: exit code 1.
struct RuntimeFailure: Error { var message: String }
