import AttributionCore
import AttributionStore
import AttributionTestSupport
import Foundation
import Testing

/// The real binary: started on a temp database, fed signed HTTP requests over a
/// socket, its database read afterwards.
@Suite("The daemon, end to end", .serialized)
struct DaemonTests {
    static let secret = "whsec_e2e_secret"

    func signed(_ payload: String, secret: String = DaemonTests.secret) -> [String: String] {
        ["Stripe-Signature": EventFactory.sign(payload, secret: secret, at: Int64(Date().timeIntervalSince1970))]
    }

    @Test("signed events over HTTP are stored, applied and attributed; bad ones refused; SIGTERM exits 0")
    func webhookToTables() async throws {
        let daemon = try DaemonProcess(environment: ["STRIPE_WEBHOOK_SECRET": Self.secret])
        defer { daemon.cleanup() }
        let now = Int(Date().timeIntervalSince1970)
        let customer = EventFactory.customer(event: "evt_e2e_1", created: now - 60, id: "cus_E", key: "e@x", partner: "p_e2e")
        let charge = EventFactory.charge(
            event: "evt_e2e_2", created: now - 30, id: "ch_E", amount: 4200,
            customer: "cus_E", product: "pro")
        #expect(try await daemon.post("/webhooks/stripe", body: customer, headers: signed(customer)).0 == 200)
        #expect(try await daemon.post("/webhooks/stripe", body: charge, headers: signed(charge)).0 == 200)
        #expect(try await daemon.post("/webhooks/stripe", body: charge, headers: signed(charge)).0 == 200)
        let forged = EventFactory.charge(event: "evt_e2e_3", created: now, id: "ch_F", amount: 1, customer: "cus_E")
        let (status, body) = try await daemon.post("/webhooks/stripe", body: forged, headers: signed(forged, secret: "whsec_wrong"))
        #expect(status == 400)
        #expect(body.contains("error"))
        #expect(try await daemon.get("/healthz").0 == 200)

        let db = try AppDatabase.open(path: daemon.databasePath, readonly: true)
        let applied = try await poll { try db.count("inbox_events", where: "status = 'applied'") == 2 }
        #expect(applied, "the worker applies both events")
        #expect(try db.count("inbox_events") == 2, "the duplicate and the forged event add nothing")
        #expect(
            try db.row("SELECT transaction_id, partner_key, net_amount FROM attributed_transactions")
                == ["transaction_id": "ch_E", "partner_key": "p_e2e", "net_amount": "4200"])
        #expect(try daemon.stop() == 0)
        #expect(daemon.stderr.contains("webhook accepted"))
        #expect(!daemon.stderr.contains(Self.secret), "no secret in the logs")
    }

    @Test("first start without a secret generates one, prints it once, and keeps it")
    func generatedSecret() async throws {
        let first = try DaemonProcess()
        let directory = first.directory
        #expect(try first.stop() == 0)
        let printed = first.standardOutput
        let secret = try #require(
            printed.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
                .first { $0.hasPrefix("whsec_") })
        #expect(printed.contains("/webhooks/stripe"))

        let second = try DaemonProcess(directory: directory)
        defer { second.cleanup() }
        let event = EventFactory.customer(event: "evt_gen", created: Int(Date().timeIntervalSince1970), id: "cus_G")
        #expect(try await second.post("/webhooks/stripe", body: event, headers: signed(event, secret: secret)).0 == 200)
        #expect(try second.stop() == 0)
        #expect(!second.standardOutput.contains("whsec_"), "the secret is printed only once")
    }

    @Test(
        "a bad flag or setting is one line on stderr and exit code 2",
        arguments: [
            (["serve", "--bogus"], [:]), (["serve", "--listen", "nowhere"], [:]),
            (["serve"], ["ATTRIBUTIONDX": "1", "ATTRIBUTIOND_TRANSACTION_SOURCE": "cheque"]),
            (["serve"], ["ATTRIBUTIOND_TOLERANCE_SECONDS": "-5"]), (["events", "list", "--status", "nope"], [:]),
            (["serve", "--read-timeout", "0"], [:]), (["serve"], ["ATTRIBUTIOND_BUSY_TIMEOUT_SECONDS": "soon"]),
        ] as [([String], [String: String])])
    func badUsage(_ arguments: [String], _ environment: [String: String]) throws {
        let (code, _, stderr) = try DaemonProcess.run(
            arguments + ["--db", "/tmp/attributiond-never-\(UUID()).sqlite"],
            environment: environment)
        #expect(code == 2)
        #expect(stderr.split(separator: "\n").count == 1, "one line: \(stderr)")
    }

    @Test("migrate applies the migrations and prints the schema version")
    func migrate() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("attributiond-\(UUID()).sqlite").path
        defer { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + s) } }
        let (code, out, _) = try DaemonProcess.run(["migrate", "--db", path])
        #expect(code == 0)
        #expect(out.hasPrefix("schema version \(AppDatabase.migrationNames.count)"))
    }

    /// Polls `condition` for up to `seconds`.
    func poll(seconds: Double = 15, _ condition: () throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try condition()
    }
}
