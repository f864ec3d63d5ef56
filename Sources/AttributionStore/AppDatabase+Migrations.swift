import GRDB

extension AppDatabase {
    /// The migrator over the SQL files the binary carries (see `EmbeddedMigrations`).
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for (index, migration) in EmbeddedMigrations.all.enumerated() {
            migrator.registerMigration(migration.name) { db in
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
        try Self.migrator.migrate(writer)
        return try writer.read { db in try Self.migrator.appliedIdentifiers(db).count }
    }

    /// Names of the migrations the binary carries, in order.
    public static var migrationNames: [String] { EmbeddedMigrations.all.map(\.name) }
    /// SQL of the migrations the binary carries, in order.
    public static var migrationSQL: [String] { EmbeddedMigrations.all.map(\.sql) }
}
