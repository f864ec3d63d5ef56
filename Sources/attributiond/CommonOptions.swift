import ArgumentParser
import AttributionServer
import AttributionStore
import Foundation
import Logging

/// Options every subcommand takes: where the database is, and where settings come from.
struct CommonOptions: ParsableArguments {
    @Option(help: "Database path (env ATTRIBUTIOND_DB; default ./attribution.sqlite).")
    var db: String?

    @Option(help: "JSON config file (env ATTRIBUTIOND_CONFIG).")
    var config: String?

    var flags: [SettingKey: String] {
        var flags: [SettingKey: String] = [:]
        flags[.db] = db
        flags[.config] = config
        return flags
    }

    /// Settings from these flags (plus `extra`), the environment and the config file; exit 2 if bad.
    func settings(extra: [SettingKey: String] = [:]) async throws -> ServerSettings {
        do {
            return try await ServerSettings.load(
                flags: flags.merging(extra) { _, b in b },
                environment: ProcessInfo.processInfo.environment)
        } catch {
            throw UsageError(message: error.description)
        }
    }

    /// Opens the database of `settings`; a failure is a run-time error (exit 1).
    func open(_ settings: ServerSettings, readonly: Bool = false) throws -> AppDatabase {
        do {
            return try AppDatabase.open(path: settings.databasePath, busyTimeout: settings.busyTimeoutSeconds, readonly: readonly)
        } catch {
            throw RuntimeFailure(message: error.description)
        }
    }
}

/// Options that change how events are applied; taken by `serve` and `events rebuild`.
struct ApplyOptions: ParsableArguments {
    @Option(help: "Where transactions come from: charge or invoice (env ATTRIBUTIOND_TRANSACTION_SOURCE).")
    var transactionSource: String?

    @Option(help: "What a partial refund does: prorate or delete (env ATTRIBUTIOND_PARTIAL_REFUNDS).")
    var partialRefunds: String?

    var flags: [SettingKey: String] {
        var flags: [SettingKey: String] = [:]
        flags[.transactionSource] = transactionSource
        flags[.partialRefunds] = partialRefunds
        return flags
    }
}

func now() -> Int64 { Int64(Date().timeIntervalSince1970) }

func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}
