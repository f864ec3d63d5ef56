import AttributionServer
import AttributionStore
import AttributionTestSupport
import Foundation
import Logging

/// A temp-file database and settings for building the real application in tests.
struct TestApp {
    static let secret = "whsec_test_secret"
    static let now: Int64 = 1_800_000_000
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("attributiond-\(UUID())")
    var path: String { dir.appendingPathComponent("a.sqlite").path }
    let database: AppDatabase
    var settings = ServerSettings(secrets: ["whsec_old", TestApp.secret])

    init(busyTimeout: TimeInterval = 5) throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        database = try AppDatabase.open(path: dir.appendingPathComponent("a.sqlite").path, busyTimeout: busyTimeout)
        settings.databasePath = path
    }

    func application() -> some Any {
        buildApplication(settings: settings, database: database, logger: Logger(label: "test"), clock: { TestApp.now })
    }

    static func signed(_ payload: String, secret: String = secret, at t: Int64 = now) -> String {
        EventFactory.sign(payload, secret: secret, at: t)
    }

    func cleanup() { try? FileManager.default.removeItem(at: dir) }
}
