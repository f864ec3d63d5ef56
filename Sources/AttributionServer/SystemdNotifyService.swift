import Logging
import ServiceLifecycle

/// Tells systemd how the daemon is doing: `WATCHDOG=1` every half
/// `WATCHDOG_USEC` while the worker is alive, `STOPPING=1` on shutdown.
/// (`READY=1` is sent by ``buildApplication`` once the listener is bound.)
///
/// The ping is conditional on the worker, not just on this task running: a
/// worker stuck in a transaction stops the pings, so systemd restarts the
/// daemon after `WatchdogSec=` instead of leaving an inbox that never drains.
public struct SystemdNotifyService: Service {
    let notifier: SystemdNotifier
    let isAlive: @Sendable () -> Bool
    let logger: Logger

    public init(notifier: SystemdNotifier, logger: Logger, isAlive: @escaping @Sendable () -> Bool) {
        self.notifier = notifier
        self.isAlive = isAlive
        self.logger = logger
    }

    public func run() async throws {
        if let interval = notifier.watchdogInterval {
            logger.info("systemd watchdog on", metadata: [LogKey.interval: "\(interval)"])
            try? await cancelWhenGracefulShutdown { try await self.ping(every: interval) }
        } else {
            try? await gracefulShutdown()
        }
        await sendUntilQueued("STOPPING=1")
    }

    /// A state change must not be lost like a ping may be: when the receiver's queue is
    /// full (sends never block), try again for up to a second, off the cooperative threads' way.
    private func sendUntilQueued(_ state: String) async {
        for _ in 0..<20 {
            if (try? notifier.send(state)) != nil { return }
            try? await Task.sleep(for: .milliseconds(50))
        }
        send(state)
    }

    private func ping(every interval: Duration) async throws {
        var wasAlive = true
        while true {
            // Sleep first: the worker's first turn has run by then, and systemd
            // expects the first ping only within the full `WatchdogSec=`.
            try await Task.sleep(for: interval)
            let alive = isAlive()
            if alive { send("WATCHDOG=1") }
            if alive != wasAlive {
                // Logged on change only, so a stuck worker gives one line, not one per interval.
                if alive {
                    logger.notice("worker alive again, watchdog pings resumed")
                } else {
                    logger.error("worker not alive, watchdog pings withheld so systemd restarts the daemon")
                }
                wasAlive = alive
            }
        }
    }

    func send(_ state: String) {
        do {
            try notifier.send(state)
        } catch {
            logger.warning("cannot notify systemd", metadata: [LogKey.error: "\(error)"])
        }
    }
}
