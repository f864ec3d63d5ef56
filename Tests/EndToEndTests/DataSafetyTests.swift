import AttributionCore
import AttributionStore
import AttributionTestSupport
import Foundation
import Testing

/// File modes, the first-run message, `backup` and `events prune` on the real binary.
@Suite("keeping the secret secret and the data safe", .serialized)
struct DataSafetyTests {
    static let secret = "whsec_safety_e2e"

    func mode(_ path: String) throws -> Int {
        try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    func signed(_ payload: String) -> [String: String] {
        ["Stripe-Signature": EventFactory.sign(payload, secret: Self.secret, at: Int64(Date().timeIntervalSince1970))]
    }

    @Test("under umask 0000 every created file is 0600, and the first-run message is readable from the pipe at once")
    func modesAndFlushedMessage() async throws {
        // The child inherits the umask at spawn; restore ours right after.
        let previous = umask(0)
        let daemon: DaemonProcess
        do {
            daemon = try DaemonProcess()
            umask(previous)
        } catch {
            umask(previous)
            throw error
        }
        defer { daemon.cleanup() }
        let event = EventFactory.customer(event: "evt_mode", created: Int(Date().timeIntervalSince1970), id: "cus_M")
        // Read the message while the daemon still runs: it must not wait for exit.
        // A buffered message would block this read until exit: give up after 10 s instead.
        let handle = (daemon.process.standardOutput as! Pipe).fileHandleForReading
        let box = ReadBox()
        Thread {
            box.data = handle.availableData
            box.done.signal()
        }.start()
        #expect(box.done.wait(timeout: .now() + 10) == .success, "the first-run message is on stdout while the daemon runs")
        let message = String(decoding: box.data, as: UTF8.self)
        #expect(daemon.isRunning)
        let secret = try #require(
            message.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
                .first { $0.hasPrefix("whsec_") })
        #expect(message.contains("/webhooks/stripe"))
        let secretPath = daemon.databasePath + ".secret"
        #expect(daemon.stderr.contains("generated a webhook signing secret; it is in \(secretPath)"))
        #expect(!daemon.stderr.contains(secret), "the log never holds the secret")
        let headers = ["Stripe-Signature": EventFactory.sign(event, secret: secret, at: Int64(Date().timeIntervalSince1970))]
        #expect(try await daemon.post("/webhooks/stripe", body: event, headers: headers).0 == 200)
        for file in ["", "-wal", "-shm", ".secret"] {
            #expect(try mode(daemon.databasePath + file) == 0o600, "\(file)")
        }
        let db = try AppDatabase.open(path: daemon.databasePath, readonly: true)
        #expect(try db.setting("webhook_secret") == nil, "the secret is in no table")
        let backup = daemon.directory.appendingPathComponent("copy.sqlite").path
        let previousAgain = umask(0)
        let result = try DaemonProcess.run(["backup", backup, "--db", daemon.databasePath])
        umask(previousAgain)
        #expect(result.0 == 0, "\(result.2)")
        #expect(try mode(backup) == 0o600)
        #expect(try daemon.stop() == 0)

        chmod(secretPath, 0o644)
        let refused = try DaemonProcess.run(["serve", "--db", daemon.databasePath, "--listen", "127.0.0.1:0"])
        #expect(refused.0 == 2)
        #expect(refused.2.contains("readable by group or others") && refused.2.split(separator: "\n").count == 1)
    }

    @Test("backup under load, then a restore drill: serve on the copy, rebuild, same tables")
    func backupUnderLoadAndRestore() async throws {
        let daemon = try DaemonProcess(environment: ["STRIPE_WEBHOOK_SECRET": Self.secret])
        defer { daemon.cleanup() }
        let start = Int(Date().timeIntervalSince1970)
        let load = Task {
            var codes: [Int] = []
            for i in 0..<300 {
                let e =
                    i % 2 == 0
                    ? EventFactory.customer(event: "evt_c\(i)", created: start, id: "cus_\(i)", key: "k\(i)", partner: "p\(i % 7)")
                    : EventFactory.charge(event: "evt_ch\(i)", created: start, id: "ch_\(i)", amount: 100 + i, customer: "cus_\(i - 1)")
                codes.append(try await daemon.post("/webhooks/stripe", body: e, headers: signed(e)).0)
            }
            return codes
        }
        try await Task.sleep(for: .milliseconds(300))
        let backup = daemon.directory.appendingPathComponent("backup.sqlite").path
        let result = try DaemonProcess.run(["backup", backup, "--verify", "--db", daemon.databasePath])
        #expect(result.0 == 0, "\(result.2)")
        #expect(result.1.contains("verified"))
        let codes = try await load.value
        #expect(codes.allSatisfy { $0 == 200 }, "intake kept answering during the backup")
        #expect(try daemon.stop() == 0)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: daemon.directory.path).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)

        // Restore: copy the backup into a new directory while nothing runs there.
        let restored = FileManager.default.temporaryDirectory.appendingPathComponent("attributiond-restore-\(UUID())")
        try FileManager.default.createDirectory(at: restored, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: restored) }
        let restoredPath = restored.appendingPathComponent("attribution.sqlite").path
        try FileManager.default.copyItem(atPath: backup, toPath: restoredPath)
        let copied = try AppDatabase.open(path: restoredPath, readonly: true).count("inbox_events")
        #expect(copied > 0)
        let second = try DaemonProcess(environment: ["STRIPE_WEBHOOK_SECRET": Self.secret], directory: restored)
        let deadline = Date().addingTimeInterval(30)
        let db = try AppDatabase.open(path: restoredPath, readonly: true)
        while try db.count("inbox_events", where: "status IN ('pending', 'failed')") > 0, Date() < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(try second.stop() == 0)
        let applied = try db.domainDump()
        #expect(!(applied["customers"] ?? []).isEmpty)
        let rebuild = try DaemonProcess.run(["events", "rebuild", "--db", restoredPath])
        #expect(rebuild.0 == 0, "\(rebuild.2)")
        #expect(try db.domainDump() == applied)
        let original = try AppDatabase.open(path: daemon.databasePath, readonly: true)
        #expect(try original.count("inbox_events") >= copied)
    }

    @Test("prune deletes old ignored events in several batches while intake answers, and a rebuild is unchanged")
    func pruneIgnored() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("attributiond-prune-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("attribution.sqlite").path
        do {
            let db = try AppDatabase.open(path: path)
            var old: [String] = []
            for i in 0..<4000 {
                old.append(
                    EventFactory.envelope(
                        id: "evt_bal\(i)", type: "balance.available", created: 1_700_000_000,
                        object: ["object": "balance", "available": [["amount": i, "currency": "usd"]]]))
            }
            old.append(EventFactory.customer(event: "evt_keep", created: 1_700_000_000, id: "cus_K", key: "kk", partner: "pk"))
            old.append(EventFactory.charge(event: "evt_keep_ch", created: 1_700_000_001, id: "ch_K", amount: 5000, customer: "cus_K"))
            // A used type that changes nothing is ignored too, but stays: a rebuild reads it.
            old.append(
                EventFactory.customer(event: "evt_deleted_unknown", type: "customer.deleted", created: 1_700_000_002, id: "cus_nobody"))
            try await db.deliver(old, receivedAt: 1_700_000_000)
            try await db.deliver(
                [
                    EventFactory.envelope(
                        id: "evt_bal_new", type: "balance.available", created: 1_800_000_000,
                        object: ["object": "balance"])
                ], receivedAt: 1_800_000_000)
            try await db.applyAll(now: 1_800_000_000, batch: 500)
        }
        let db = try AppDatabase.open(path: path)
        let before = try db.domainDump()
        let keptIgnored = try db.column("SELECT event_id FROM inbox_events WHERE status = 'ignored' AND type != 'balance.available'")

        let daemon = try DaemonProcess(environment: ["STRIPE_WEBHOOK_SECRET": Self.secret], directory: directory)
        defer { daemon.cleanup() }
        let load = Task {
            var codes: [Int] = []
            for i in 0..<100 {
                let e = EventFactory.envelope(
                    id: "evt_during\(i)", type: "balance.available", created: Int(Date().timeIntervalSince1970),
                    object: ["object": "balance"])
                codes.append(try await daemon.post("/webhooks/stripe", body: e, headers: signed(e)).0)
            }
            return codes
        }
        let pruned = try DaemonProcess.run(["events", "prune", "--ignored", "--before", "2025-01-01", "--db", path])
        let codes = try await load.value
        #expect(pruned.0 == 0, "\(pruned.2)")
        #expect(pruned.1.contains("pruned 4000 ignored event(s)"), "\(pruned.1)")
        let batches = try #require(
            pruned.1.split(separator: " ").firstIndex(of: "in").map { Int(pruned.1.split(separator: " ")[$0 + 1]) ?? 0 })
        #expect(batches > 1, "\(pruned.1)")
        #expect(codes.allSatisfy { $0 == 200 }, "every webhook during the prune was stored")
        #expect(try daemon.stop() == 0)

        #expect(try db.count("inbox_events", where: "event_id LIKE 'evt_bal%' AND event_id != 'evt_bal_new'") == 0)
        #expect(try db.count("inbox_events", where: "event_id = 'evt_bal_new'") == 1, "newer ignored events stay")
        #expect(try db.column("SELECT event_id FROM inbox_events WHERE status = 'ignored' AND type != 'balance.available'") == keptIgnored)
        let rebuild = try DaemonProcess.run(["events", "rebuild", "--db", path])
        #expect(rebuild.0 == 0, "\(rebuild.2)")
        #expect(try db.domainDump() == before)

        #expect(try DaemonProcess.run(["events", "prune", "--before", "2025-01-01", "--db", path]).0 == 2)
        #expect(try DaemonProcess.run(["events", "prune", "--ignored", "--db", path]).0 == 2)
        #expect(try DaemonProcess.run(["events", "prune", "--ignored", "--before", "yesterday", "--db", path]).0 == 2)
    }
}

private final class ReadBox: @unchecked Sendable {  // written once by the reader thread before `done` is signalled
    var data = Data()
    let done = DispatchSemaphore(value: 0)
}
