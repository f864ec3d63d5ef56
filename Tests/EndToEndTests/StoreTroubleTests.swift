import AttributionCore
import AttributionStore
import AttributionTestSupport
import Foundation
import GRDB
import Testing

/// The store in trouble under the real binary: a `sqlite3` shell holding the
/// write lock, a full filesystem, a read-only one. docs/events.md: 503 (so Stripe
/// retries) with a clear log line, never 200 without a durable write, and the
/// daemon recovers by itself when the trouble ends.
@Suite("Store trouble", .serialized)
struct StoreTroubleTests {
    static let secret = "whsec_trouble"

    /// True when this process may mount a tmpfs (root with CAP_SYS_ADMIN), for the filesystem cases.
    static let canMount: Bool = {
        guard geteuid() == 0, let dir = try? TemporaryDirectory() else { return false }
        guard run("/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir.path]) == 0 else { return false }
        return run("/bin/umount", [dir.path]) == 0
    }()

    @discardableResult
    static func run(_ tool: String, _ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }

    func event(_ id: String, metadataBytes: Int = 0) -> String {
        var metadata: [String: String] = ["customer_key": "\(id)@trouble"]
        if metadataBytes > 0 { metadata["padding"] = String(repeating: "p", count: metadataBytes) }
        return EventFactory.envelope(
            id: id, type: "customer.created", created: 1_800_000_000,
            object: ["id": "cus_\(id)", "object": "customer", "metadata": metadata])
    }

    func post(_ daemon: DaemonProcess, _ payload: String) throws -> Int? {
        let body = Array(payload.utf8)
        let signature = StripeSignatureVerifier.header(
            payload: body, secret: Self.secret,
            timestamp: Int64(Date().timeIntervalSince1970))
        let connection = try RawHTTPConnection(port: daemon.port, timeout: 30)
        connection.send(RawHTTPConnection.request(headers: [("Stripe-Signature", signature)], body: body))
        return connection.readResponse()?.status
    }

    /// Whether a write transaction can be taken right now, without waiting.
    func writable(_ path: String) throws -> Bool {
        var config = Configuration()
        config.busyMode = .immediateError
        let queue = try DatabaseQueue(path: path, configuration: config)
        do {
            try queue.inTransaction(.immediate) { _ in .rollback }
            return true
        } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY {
            return false
        }
    }

    @Test(
        "a sqlite3 shell holding the write lock past the busy timeout: 503 and a log line, then 200 once it lets go",
        .enabled(if: SQLiteShell.isInstalled, "sqlite3 is not installed"))
    func shellHoldingTheWriteLock() async throws {
        let daemon = try DaemonProcess(arguments: ["--busy-timeout", "1"], environment: ["STRIPE_WEBHOOK_SECRET": Self.secret])
        defer { daemon.cleanup() }
        #expect(try post(daemon, event("evt_lock_0")) == 200)

        // Given a shell that took the write lock and keeps it
        let shell = try SQLiteShell(database: daemon.databasePath)
        // The shell waits for the daemon's own short transactions (worker ticks) instead of failing at once,
        // and the test reads what it printed: an empty answer means BEGIN IMMEDIATE took the lock.
        _ = try shell.run(".timeout 10000")
        var answer = "not tried"
        for _ in 0..<5 where !answer.isEmpty {
            answer = try shell.run("BEGIN IMMEDIATE;")
        }
        #expect(answer.isEmpty, "the shell took the write lock")
        #expect(try !writable(daemon.databasePath), "nobody else can write now")

        // When an event arrives: 503 after the 1 s busy timeout, with a clear log line, nothing stored
        let started = Date()
        #expect(try post(daemon, event("evt_lock_1")) == 503)
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(try await poll(seconds: 5) { daemon.stderr.contains("webhook not stored, answering 503") })
        #expect(daemon.stderr.contains("database is locked"))
        #expect(try DaemonProcess.get(daemon, "/healthz") == 200, "the process still answers")

        // Then, once the shell lets go, the same delivery (as Stripe retries it) is stored and applied
        try shell.execute("ROLLBACK;")
        shell.quit()
        #expect(try await poll(seconds: 10) { try post(daemon, event("evt_lock_1")) == 200 })
        let db = try AppDatabase.open(path: daemon.databasePath, readonly: true)
        #expect(try await poll { try db.count("inbox_events", where: "status = 'applied'") == 2 })
        #expect(try daemon.stop() == 0)
    }

    @Test(
        "a sqlite3 shell reading (an open read transaction) never blocks intake: WAL",
        .enabled(if: SQLiteShell.isInstalled, "sqlite3 is not installed"))
    func shellReadingDoesNotBlock() async throws {
        let daemon = try DaemonProcess(arguments: ["--busy-timeout", "1"], environment: ["STRIPE_WEBHOOK_SECRET": Self.secret])
        defer { daemon.cleanup() }
        #expect(try post(daemon, event("evt_read_0")) == 200)
        let shell = try SQLiteShell(database: daemon.databasePath)
        // A read transaction that stays open: it pins a snapshot, which in WAL mode blocks no writer.
        #expect(try shell.run("BEGIN; SELECT count(*) FROM inbox_events;") == "1\n")
        try await Task.sleep(for: .milliseconds(300))
        let started = Date()
        for n in 1...50 { #expect(try post(daemon, event("evt_read_\(n)")) == 200) }
        #expect(Date().timeIntervalSince(started) < 20)
        try shell.execute("COMMIT;")
        shell.quit()
        let db = try AppDatabase.open(path: daemon.databasePath, readonly: true)
        #expect(try db.count("inbox_events") == 51)
        #expect(try daemon.stop() == 0)
    }

    @Test(
        "a full filesystem: 503 and a log line, nothing acknowledged that was not stored, recovery when space returns",
        .enabled(if: canMount, "cannot mount a tmpfs here (needs root)"))
    func fullFilesystem() async throws {
        let mountPoint = try TemporaryDirectory()
        #expect(Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=12m", "tmpfs", mountPoint.path]) == 0)
        defer { Self.run("/bin/umount", ["-l", mountPoint.path]) }
        let daemon = try DaemonProcess(
            environment: ["STRIPE_WEBHOOK_SECRET": Self.secret],
            directory: URL(fileURLWithPath: mountPoint.path))
        defer { daemon.kill9() }
        for n in 0..<5 { #expect(try post(daemon, event("evt_full_\(n)")) == 200) }

        // Given a filesystem with no space left
        let filler = mountPoint.path + "/filler"
        Self.run("/bin/dd", ["if=/dev/zero", "of=\(filler)", "bs=64k"])
        // When events big enough to grow the WAL arrive
        var acknowledged: [String] = (0..<5).map { "evt_full_\($0)" }
        var refused: [String] = []
        for n in 5..<60 {
            let id = "evt_full_\(n)"
            switch try post(daemon, event(id, metadataBytes: 100_000)) {
            case 200: acknowledged.append(id)
            case 503: refused.append(id)
            case let other: Issue.record("\(id): answered \(other.map(String.init) ?? "nothing")")
            }
            #expect(daemon.isRunning, "the daemon died on a full disk:\n\(daemon.stderr.suffix(2000))")
        }
        // Then they are refused with 503 and a log line that says why
        #expect(!refused.isEmpty, "no 503 on a full filesystem")
        #expect(daemon.stderr.contains("webhook not stored, answering 503"))
        #expect(daemon.stderr.contains("full"), "the log line names the cause")
        let db = try AppDatabase.open(path: daemon.databasePath, readonly: true)
        let stored = Set(try db.column("SELECT event_id FROM inbox_events").compactMap { $0 })
        #expect(acknowledged.allSatisfy(stored.contains), "every 200 is in the inbox")
        #expect(refused.allSatisfy { !stored.contains($0) }, "no 503 left a row behind")

        // And when space returns, Stripe's retries are stored and everything is applied, without a restart
        try FileManager.default.removeItem(atPath: filler)
        for id in refused {
            #expect(try await poll(seconds: 10) { try post(daemon, event(id, metadataBytes: 100_000)) == 200 }, "\(id)")
        }
        #expect(try await poll(seconds: 30) { try db.count("inbox_events", where: "status = 'applied'") == 60 })
        #expect(try daemon.stop() == 0)
        #expect(try db.column("PRAGMA integrity_check") == ["ok"])
        print("store trouble: full filesystem, acknowledged \(acknowledged.count), refused with 503 \(refused.count), lost 0")
    }

    @Test(
        "a read-only filesystem: serve refuses to start with a clear error; once writable it starts and serves",
        .enabled(if: canMount, "cannot mount a tmpfs here (needs root)"))
    func readOnlyFilesystem() async throws {
        let mountPoint = try TemporaryDirectory()
        #expect(Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=8m", "tmpfs", mountPoint.path]) == 0)
        defer { Self.run("/bin/umount", ["-l", mountPoint.path]) }
        let path = mountPoint.path + "/attribution.sqlite"
        #expect(try DaemonProcess.run(["migrate", "--db", path]).0 == 0)
        // Remounting read-only is refused while a process has a file open for writing,
        // so the read-only case a running daemon can meet is the one at start.
        #expect(Self.run("/bin/mount", ["-o", "remount,ro", mountPoint.path]) == 0)
        let (code, _, stderr) = try DaemonProcess.run(
            ["serve", "--db", path, "--listen", "127.0.0.1:0"],
            environment: ["STRIPE_WEBHOOK_SECRET": Self.secret])
        #expect(code == 1)
        #expect(stderr.contains("cannot open database at \(path)"), "\(stderr)")
        #expect(stderr.contains("read-only"), "the error names the cause: \(stderr)")

        #expect(Self.run("/bin/mount", ["-o", "remount,rw", mountPoint.path]) == 0)
        let daemon = try DaemonProcess(
            environment: ["STRIPE_WEBHOOK_SECRET": Self.secret],
            directory: URL(fileURLWithPath: mountPoint.path))
        defer { daemon.kill9() }
        #expect(try post(daemon, event("evt_ro_1")) == 200)
        #expect(try daemon.stop() == 0)
    }

    @Test(
        "backup onto a full filesystem, into a missing directory, or onto the database itself: one line, exit 1, nothing left behind",
        .enabled(if: canMount, "cannot mount a tmpfs here (needs root)"))
    func backupTrouble() async throws {
        let work = try TemporaryDirectory()
        let database = work.path + "/attribution.sqlite"
        let db = try AppDatabase.open(path: database)
        // About 3 MB of inbox: more than the 1 MB filesystem below holds.
        try await db.deliver((0..<30).map { event("evt_backup_\($0)", metadataBytes: 100_000) })
        let mountPoint = try TemporaryDirectory()
        #expect(Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mountPoint.path]) == 0)
        defer { Self.run("/bin/umount", ["-l", mountPoint.path]) }

        let full = try DaemonProcess.run(["backup", mountPoint.path + "/copy.sqlite", "--db", database])
        #expect(full.0 == 1, "\(full.1)\(full.2)")
        #expect(full.2.split(separator: "\n").count == 1 && full.2.contains("cannot back up"), "\(full.2)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: mountPoint.path).isEmpty, "nothing half-written is left")

        let missing = try DaemonProcess.run(["backup", work.path + "/no/such/dir/copy.sqlite", "--db", database])
        #expect(missing.0 == 1 && missing.2.contains("does not exist"), "\(missing.2)")
        let itself = try DaemonProcess.run(["backup", database, "--db", database])
        #expect(itself.0 == 1 && itself.2.contains("the database itself"), "\(itself.2)")
        #expect(try AppDatabase.open(path: database, readonly: true).count("inbox_events") == 30, "the database is untouched")
    }
}

extension DaemonProcess {
    /// The status of a GET over a raw socket.
    static func get(_ daemon: DaemonProcess, _ path: String) throws -> Int? {
        let connection = try RawHTTPConnection(port: daemon.port)
        connection.send(RawHTTPConnection.request("GET", path))
        return connection.readResponse()?.status
    }
}
