import ArgumentParser
import AttributionStore

/// `attributiond migrate`: apply pending migrations and print the schema version.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "migrate", abstract: "Apply migrations and print the schema version.")

    @OptionGroup var common: CommonOptions

    func run() async throws {
        let settings = try await common.settings()
        let database = try common.open(settings)
        let version = try database.migrate()
        print("schema version \(version) (\(AppDatabase.migrationNames.prefix(version).joined(separator: ", ")))")
    }
}
