import AttributionCore
import AttributionStore
import AttributionTestSupport
import Foundation
import Testing

/// `settings show|set`, and `serve` / `events rebuild` refusing flags that contradict the recorded settings.
@Suite("derivation settings recorded with the data")
struct SettingsCommandTests {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("attributiond-settings-\(UUID()).sqlite").path

    func cleanup() { for s in ["", "-wal", "-shm", ".rebuild"] { try? FileManager.default.removeItem(atPath: path + s) } }

    /// A paid charge and its partial refund, applied with the defaults: one transaction.
    func prepare() async throws -> AppDatabase {
        let db = try AppDatabase.open(path: path)
        try await db.deliver([
            EventFactory.charge(event: "e1", created: 100, id: "ch_1", amount: 1000, partner: "p"),
            EventFactory.charge(
                event: "e2", type: "charge.refunded", created: 200, id: "ch_1", amount: 1000,
                refunded: 300, partner: "p"),
        ])
        try await db.applyAll()
        #expect(try db.count("transactions") == 1)
        return db
    }

    @Test("show gives the defaults until set; set records, rebuilds, and a plain rebuild keeps it")
    func setAndRebuild() async throws {
        defer { cleanup() }
        let db = try await prepare()
        let (code, shown, _) = try DaemonProcess.run(["settings", "show", "--db", path])
        #expect(code == 0)
        #expect(shown.contains("partial_refunds: prorate") && shown.contains("recorded: never"))

        let (setCode, _, setErr) = try DaemonProcess.run(["settings", "set", "--partial-refunds", "delete", "--db", path])
        #expect(setCode == 0, "\(setErr)")
        #expect(try db.count("transactions") == 0, "the partially refunded charge is deleted in delete mode")
        let (_, after, _) = try DaemonProcess.run(["settings", "show", "--db", path])
        #expect(after.contains("partial_refunds: delete") && after.contains("transaction_source: charge"))
        #expect(!after.contains("recorded: never"))

        // A rebuild from a shell without the flag keeps the recorded mode.
        let (rebuildCode, _, _) = try DaemonProcess.run(["events", "rebuild", "--db", path])
        #expect(rebuildCode == 0)
        #expect(try db.count("transactions") == 0)
        #expect(try db.count("inbox_events", where: "type = 'attributiond.settings' AND status = 'applied'") == 1)
    }

    @Test("rebuild and serve with a contradicting flag or env value: one line, exit 2, nothing changed")
    func contradictionRefused() async throws {
        defer { cleanup() }
        let db = try await prepare()
        let (code, _, err) = try DaemonProcess.run(["events", "rebuild", "--partial-refunds", "delete", "--db", path])
        #expect(code == 2)
        #expect(err.split(separator: "\n").count == 1 && err.contains("settings set"), "\(err)")
        #expect(try db.count("transactions") == 1)

        let (serveCode, _, serveErr) = try DaemonProcess.run(
            ["serve", "--db", path, "--listen", "127.0.0.1:0"],
            environment: ["ATTRIBUTIOND_PARTIAL_REFUNDS": "delete", "STRIPE_WEBHOOK_SECRET": "whsec_x"])
        #expect(serveCode == 2)
        #expect(serveErr.split(separator: "\n").count == 1 && serveErr.contains("partial refunds delete"), "\(serveErr)")

        // The value the database holds is no contradiction.
        let (agreeing, _, _) = try DaemonProcess.run(["events", "rebuild", "--partial-refunds", "prorate", "--db", path])
        #expect(agreeing == 0)
    }

    @Test("a new database served with flags records them as its first settings")
    func firstServeRecords() async throws {
        defer { cleanup() }
        let daemon = try DaemonProcess(
            arguments: ["--transaction-source", "invoice"],
            environment: ["STRIPE_WEBHOOK_SECRET": "whsec_x"], databasePath: path)
        defer { daemon.cleanup() }
        #expect(try daemon.stop() == 0)
        let (_, shown, _) = try DaemonProcess.run(["settings", "show", "--db", path])
        #expect(shown.contains("transaction_source: invoice"))
        // A later start from a plain shell runs in invoice mode, and one asking for charge is refused.
        let (code, _, err) = try DaemonProcess.run(
            [
                "serve", "--db", path, "--listen", "127.0.0.1:0",
                "--transaction-source", "charge",
            ],
            environment: ["STRIPE_WEBHOOK_SECRET": "whsec_x"])
        #expect(code == 2, "\(err)")
    }
}
