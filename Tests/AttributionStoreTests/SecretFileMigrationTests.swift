import Foundation
import GRDB
import Testing

@testable import AttributionStore

/// Schema 7 takes a generated secret out of `daemon_settings` into `<database>.secret`.
@Suite("Moving the webhook secret out of the database")
struct SecretFileMigrationTests {
    @Test("a version 6 database with its secret in daemon_settings gets a 0600 secret file and loses the row")
    func upgradeMovesTheSecret() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("attributiond-secret-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("attribution.sqlite").path
        do {
            let old = try DatabaseQueue(path: path)
            try AppDatabase.migrator.migrate(old, upTo: "0006_key_sightings_link_order")
            try old.write { db in
                try db.execute(
                    sql: "INSERT INTO daemon_settings (key, value) VALUES ('webhook_secret', 'whsec_old_one'), ('ready_probe', '1')")
            }
            try old.close()
        }
        let secretPath = OwnerOnlyFile.secretPath(forDatabase: path)
        #expect(!FileManager.default.fileExists(atPath: secretPath))

        let db = try AppDatabase.open(path: path)
        #expect(try OwnerOnlyFile.readPrivate(secretPath) == "whsec_old_one")
        let mode = try #require(FileManager.default.attributesOfItem(atPath: secretPath)[.posixPermissions] as? Int)
        #expect(mode == 0o600)
        #expect(try db.setting("webhook_secret") == nil)
        #expect(try db.setting("ready_probe") == "1", "other settings stay")
        #expect(try db.migrate() == AppDatabase.migrationNames.count)
    }

    @Test("a secret file readable by others is refused with a one-line message")
    func looseSecretFileRefused() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("attributiond-loose-\(UUID()).secret").path
        defer { unlink(path) }
        #expect(try OwnerOnlyFile.writeNew("whsec_x\n", to: path))
        #expect(try OwnerOnlyFile.writeNew("whsec_y\n", to: path) == false, "an existing secret is never overwritten")
        #expect(try OwnerOnlyFile.readPrivate(path) == "whsec_x")
        chmod(path, 0o640)
        #expect(throws: OwnerOnlyFileError.self) { try OwnerOnlyFile.readPrivate(path) }
    }
}
