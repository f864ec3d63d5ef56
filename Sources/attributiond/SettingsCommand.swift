import ArgumentParser
import AttributionCore
import AttributionServer
import AttributionStore

/// `attributiond settings show|set`: the derivation settings recorded with the data.
///
/// Where transactions come from and what a partial refund does change what
/// every derived table means, so they are kept in the database as dated admin
/// events (a rebuild replays them) and changed only here, never by the flags
/// of whichever shell starts `serve` or `events rebuild`.
struct SettingsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "settings", abstract: "Show or change the derivation settings recorded in the database.",
        subcommands: [Show.self, Change.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the recorded derivation settings.")
        @OptionGroup var common: CommonOptions

        func run() async throws {
            let recorded = try common.open(try await common.settings()).recordedSettings()
            print("transaction_source: \(recorded.apply.transactionSource.rawValue)")
            print("partial_refunds: \(recorded.apply.partialRefunds.rawValue)")
            if let since = recorded.since, let id = recorded.eventId {
                print("recorded: \(Timestamp.iso(since)) (\(id))")
            } else {
                print("recorded: never (the defaults)")
            }
        }
    }

    struct Change: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set", abstract: "Record new derivation settings, then rebuild every derived table with them.")
        @OptionGroup var common: CommonOptions
        @Option(help: "Where transactions come from: charge or invoice.") var transactionSource: String?
        @Option(help: "What a partial refund does: prorate or delete.") var partialRefunds: String?

        func validate() throws {
            if transactionSource == nil && partialRefunds == nil {
                throw ValidationError("give --transaction-source, --partial-refunds or both")
            }
        }

        func run() async throws {
            // Only the database path is read from the shell: its derivation settings are what this changes.
            let settings = try await common.settings()
            var apply = try common.open(settings).recordedSettings().apply
            if let transactionSource {
                guard let source = ApplySettings.TransactionSource(rawValue: transactionSource) else {
                    throw UsageError(message: "invalid transaction source '\(transactionSource)': expected charge or invoice")
                }
                apply.transactionSource = source
            }
            if let partialRefunds {
                guard let mode = ApplySettings.PartialRefunds(rawValue: partialRefunds) else {
                    throw UsageError(message: "invalid partial refunds '\(partialRefunds)': expected prorate or delete")
                }
                apply.partialRefunds = mode
            }
            let result = try await common.open(settings).recordSettings(apply, now: now())
            print(
                "settings recorded: transaction_source \(apply.transactionSource.rawValue), partial_refunds \(apply.partialRefunds.rawValue); rebuilt from \(result.applied.count) applied event(s)"
            )
        }
    }
}

/// The derivation settings `serve` and `events rebuild` run with: the ones
/// recorded in the database. A flag, environment variable or config value
/// that contradicts them is bad usage (exit 2): they change only through
/// `settings set`. A database that records none and has applied nothing yet
/// takes the given settings as its first record when `recordFirst` is set (`serve`).
func derivationSettings(
    _ database: AppDatabase, _ settings: ServerSettings,
    recordFirst: Bool
) async throws -> ApplySettings {
    let recorded = try database.recordedSettings()
    let given = settings.apply
    var contradictions: [String] = []
    if settings.givenApply.contains(.transactionSource), given.transactionSource != recorded.apply.transactionSource {
        contradictions.append("transaction source \(given.transactionSource.rawValue)")
    }
    if settings.givenApply.contains(.partialRefunds), given.partialRefunds != recorded.apply.partialRefunds {
        contradictions.append("partial refunds \(given.partialRefunds.rawValue)")
    }
    guard !contradictions.isEmpty else { return recorded.apply }
    if recorded.eventId == nil, try !database.hasAppliedEvents() {
        if recordFirst { try await database.recordSettings(given, now: now()) }
        return given
    }
    let held = "transaction source \(recorded.apply.transactionSource.rawValue), partial refunds \(recorded.apply.partialRefunds.rawValue)"
    throw UsageError(
        message:
            "cannot use \(contradictions.joined(separator: " and ")): the database's tables were derived with \(held); change it with `attributiond settings set`"
    )
}
