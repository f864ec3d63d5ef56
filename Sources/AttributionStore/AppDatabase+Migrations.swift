import GRDB
import Logging

extension AppDatabase {
    /// The migrator over the SQL files the binary carries (see `EmbeddedMigrations`).
    static var migrator: DatabaseMigrator { migrator(secretPath: nil) }

    /// The migration that takes the generated secret out of `daemon_settings`.
    static let secretMoveMigration = "0007_secret_out_of_database"

    /// The migrator; `secretPath` is where a secret found in `daemon_settings`
    /// is moved to (`<database>.secret`) by the migration that deletes its row.
    static func migrator(secretPath: String?) -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for (index, migration) in EmbeddedMigrations.all.enumerated() {
            migrator.registerMigration(migration.name) { db in
                if migration.name == secretMoveMigration { try moveSecretOut(db, to: secretPath) }
                try db.execute(sql: migration.sql)
                // sqlite3 users can read the schema version with `PRAGMA user_version`.
                try db.execute(sql: "PRAGMA user_version = \(index + 1)")
            }
        }
        return migrator
    }

    /// Applies pending migrations; returns the schema version (the number of applied migrations).
    @discardableResult
    public func migrate() throws -> Int {
        let migrator = Self.migrator(secretPath: path == ":memory:" ? nil : OwnerOnlyFile.secretPath(forDatabase: path))
        try migrator.migrate(writer)
        try settleLedgerAfterMigration()
        try requeueNewlyUsedTypes()
        return try writer.read { db in try migrator.appliedIdentifiers(db).count }
    }

    /// Writes the secret of `daemon_settings` to `path` (0600) before the
    /// migration's SQL deletes its row in the same transaction: if the write
    /// fails the row stays, and a crash between the two leaves the file and the
    /// row, from which the next start finishes the move.
    private static func moveSecretOut(_ db: Database, to path: String?) throws {
        guard let secret = try String.fetchOne(db, sql: "SELECT value FROM daemon_settings WHERE key = 'webhook_secret'") else { return }
        guard let path else { throw StoreError.failed("cannot move the webhook secret out of the database: the database has no file") }
        if !(try OwnerOnlyFile.writeNew(secret + "\n", to: path)) {
            let existing = try? OwnerOnlyFile.readPrivate(path)
            guard existing == secret else {
                throw StoreError.failed("cannot move the webhook secret out of the database: \(path) exists and holds another secret")
            }
        }
        Logger(label: "attributiond").notice("moved the generated webhook signing secret out of the database; it is in \(path)")
    }

    /// Names of the migrations the binary carries, in order.
    public static var migrationNames: [String] { EmbeddedMigrations.all.map(\.name) }
    /// SQL of the migrations the binary carries, in order.
    public static var migrationSQL: [String] { EmbeddedMigrations.all.map(\.sql) }
}
