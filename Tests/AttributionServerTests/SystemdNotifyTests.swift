import AttributionServer
import AttributionStore
import Foundation
import Hummingbird
import HummingbirdTesting
import ServiceLifecycle
import Testing

/// sd_notify over a real unix datagram socket: the notifier, then the daemon's
/// READY / WATCHDOG / STOPPING sequence, and the watchdog withholding pings.
@Suite struct SystemdNotifyTests {
    @Test func sendsToAPathSocketAndAnAbstractOne() async throws {
        let directory = try TemporaryDirectory()
        for abstract in [false, true] {
            let listener = try DatagramListener(abstract: abstract, directory: directory)
            try SystemdNotifier(socketPath: listener.address).send("READY=1\nSTATUS=hello")
            #expect(listener.drain() == ["READY=1\nSTATUS=hello"])
        }
    }

    @Test func readsNotifySocketAndHalfTheWatchdogFromTheEnvironment() throws {
        #expect(SystemdNotifier(environment: [:]) == nil)
        let plain = try #require(SystemdNotifier(environment: ["NOTIFY_SOCKET": "/run/x"]))
        #expect(plain.socketPath == "/run/x")
        #expect(plain.watchdogInterval == nil)
        let watched = try #require(SystemdNotifier(environment: ["NOTIFY_SOCKET": "@x", "WATCHDOG_USEC": "30000000"]))
        #expect(watched.watchdogInterval == .seconds(15))
        // The watchdog was meant for another process: no pings from this one.
        let other = try #require(
            SystemdNotifier(
                environment: [
                    "NOTIFY_SOCKET": "@x", "WATCHDOG_USEC": "30000000",
                    "WATCHDOG_PID": "1",
                ], pid: 42))
        #expect(other.watchdogInterval == nil)
    }

    @Test func sendingToAMissingSocketIsAnErrorNotACrash() {
        #expect(throws: NotifyError.self) { try SystemdNotifier(socketPath: "/nonexistent/notify.sock").send("READY=1") }
    }

    @Test func daemonSendsReadyThenWatchdogPingsThenStopping() async throws {
        let directory = try TemporaryDirectory()
        let listener = try DatagramListener(directory: directory)
        // Pings 200 ms apart: under load the listener may not read for seconds, and the
        // socket's queue (512 datagrams) must not fill before STOPPING=1.
        let notifier = SystemdNotifier(socketPath: listener.address, watchdogInterval: .milliseconds(200))
        let app = buildApplication(
            settings: ServerSettings(secrets: ["whsec_test"]), database: try AppDatabase.makeEmpty(),
            logger: testLogger, notifier: notifier)
        try await app.test(.live) { _ in
            let seen = await listener.collect(timeout: .seconds(30)) { $0.filter { $0 == "WATCHDOG=1" }.count >= 3 }
            #expect(seen.first?.hasPrefix("READY=1\nSTATUS=listening on ") == true)
            #expect(seen.filter { $0.contains("WATCHDOG=1") }.count >= 3)
        }
        let last = await listener.collect(timeout: .seconds(15)) { $0.contains("STOPPING=1") }
        #expect(last.last == "STOPPING=1")
    }

    @Test func stuckWorkerStopsThePingsAndARecoveredOneResumesThem() async throws {
        // Given a daemon whose worker heartbeat follows a clock the test moves
        let directory = try TemporaryDirectory()
        let listener = try DatagramListener(directory: directory)
        let clock = TestClock()
        let database = try AppDatabase.makeEmpty()
        let app = buildApplication(
            settings: ServerSettings(secrets: ["whsec_test"]), database: database, logger: testLogger,
            clock: { clock.now() },
            notifier: SystemdNotifier(socketPath: listener.address, watchdogInterval: .milliseconds(50)))
        try await app.test(.live) { _ in
            let healthy = await listener.collect(timeout: .seconds(30)) { $0.contains("WATCHDOG=1") }
            #expect(healthy.contains("WATCHDOG=1"))

            // When the worker is stuck in a transaction (the writer is held) for longer than its liveness window
            let release = DispatchSemaphore(value: 0)
            let held = DispatchSemaphore(value: 0)
            DispatchQueue.global().async {
                try? database.writer.write { _ in
                    held.signal()
                    release.wait()
                }
            }
            held.wait()
            try await Task.sleep(for: .milliseconds(1500))  // the worker's next 1 s tick is now blocked
            clock.advance(by: 120)
            _ = listener.drain()
            try await Task.sleep(for: .milliseconds(100))
            _ = listener.drain()  // a ping computed before the jump may still be in flight

            // Then no ping arrives while it stays stuck
            let whileStuck = await listener.collect(timeout: .milliseconds(600))
            #expect(!whileStuck.contains("WATCHDOG=1"))

            // And once the transaction ends, the worker completes a turn and the pings resume
            release.signal()
            // A bound, not a target: it returns at the first ping. The whole suite runs in parallel on two
            // cores, and a full run once needed more than 5 s here for the worker's next turn.
            let after = await listener.collect(timeout: .seconds(30)) { $0.contains("WATCHDOG=1") }
            #expect(after.contains("WATCHDOG=1"))
        }
    }

    @Test func workerThatIsNotRunningGetsNoPingsAndShutdownSaysStopping() async throws {
        let directory = try TemporaryDirectory()
        let listener = try DatagramListener(directory: directory)
        let worker = WorkerService(database: try AppDatabase.makeEmpty(), settings: ServerSettings(), logger: testLogger)
        let service = SystemdNotifyService(
            notifier: SystemdNotifier(
                socketPath: listener.address,
                watchdogInterval: .milliseconds(20)),
            logger: testLogger, isAlive: { worker.isAlive() })
        let group = ServiceGroup(services: [service], logger: testLogger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let seen = await listener.collect(timeout: .milliseconds(300))
            #expect(seen.isEmpty)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(listener.drain() == ["STOPPING=1"])
    }
}
