import AttributionStore
import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Applies inbox events to the domain tables, in batches, for as long as the daemon runs.
///
/// It wakes when the intake commits new events (no polling delay on the hot
/// path) and once a second for retries that became due. A failing event is
/// written onto its row; the loop itself never stops on one.
public final class WorkerService: Service, Sendable {
    private let database: AppDatabase
    private let settings: ServerSettings
    private let logger: Logger
    private let clock: @Sendable () -> Int64
    private let wakeStream: AsyncStream<Void>
    private let wakeContinuation: AsyncStream<Void>.Continuation
    /// Unix time of the last completed loop turn; `/readyz` and the watchdog read it.
    private let heartbeat = Atomic<Int64>(0)
    private let running = Atomic<Bool>(false)
    let batchSize: Int
    /// How long the worker waits for the intake to pause before it takes the
    /// writer for one small batch anyway. Each of its batches is a commit (an
    /// fsync) the intake's group commit waits behind, so during a burst that
    /// saturates the intake this sets how often the intake loses a turn.
    /// Measured 2026-12-05 (4 rounds, 64 connections, each variant in the same
    /// round): 250 ms gave 3–8 % more requests/s than 50 ms in every round, and
    /// 1,000 ms no more than 250 ms; see docs/performance.md.
    let maxDeferral: Duration = .milliseconds(250)
    private let pressure: IntakePressure?

    public init(
        database: AppDatabase, settings: ServerSettings, logger: Logger, batchSize: Int = 200,
        pressure: IntakePressure? = nil,
        clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }
    ) {
        self.database = database
        self.settings = settings
        self.logger = logger
        self.clock = clock
        self.batchSize = batchSize
        self.pressure = pressure
        (wakeStream, wakeContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Asks the worker to look at the inbox now.
    public func wake() { wakeContinuation.yield() }

    /// True while the loop runs and has completed a turn in the last `maxAge` seconds.
    public func isAlive(maxAge: Int64 = 30) -> Bool {
        running.load(ordering: .relaxed) && clock() - heartbeat.load(ordering: .relaxed) <= maxAge
    }

    public func run() async throws {
        running.store(true, ordering: .relaxed)
        defer { running.store(false, ordering: .relaxed) }
        let ticker = Task { [wakeContinuation] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                wakeContinuation.yield()
            }
        }
        defer { ticker.cancel() }
        logger.info("worker started")
        wake()
        for await _ in wakeStream.cancelOnGracefulShutdown() {
            await drain()
            heartbeat.store(clock(), ordering: .relaxed)
        }
        logger.info("worker stopped")
    }

    /// Applies due events until fewer than a full batch remain, or until graceful shutdown begins.
    func drain() async {
        do {
            try await database.drainDue(
                batchSize: batchSize, settings: settings.apply, retry: settings.retry, now: clock, pressure: pressure,
                // Finish the batch in hand and stop: the backlog waits in the inbox for the next start.
                shouldStop: { Task.isShuttingDownGracefully },
                beforeBatch: { await deferToIntake() },
                afterBatch: { result, elapsed in
                    report(result, elapsed: elapsed)
                    heartbeat.store(clock(), ordering: .relaxed)
                })
        } catch {
            logger.error("cannot apply events, will retry", metadata: [LogKey.error: "\(error)"])
        }
    }

    /// During a burst of webhooks the intake gets the CPU and the writer: the
    /// worker waits while the intake is flushing, but never more than
    /// `maxDeferral` before it applies at least a small batch, so the backlog
    /// keeps moving and is drained at full speed once the burst ends.
    private func deferToIntake() async {
        guard let pressure else { return }
        let deadline = ContinuousClock.now + maxDeferral
        while pressure.isWaiting && ContinuousClock.now < deadline && !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(2))
        }
    }

    private func report(_ result: BatchResult, elapsed: Duration) {
        guard result.processed > 0 else { return }
        Timer(label: MetricName.applyLatency).record(duration: elapsed)
        for (id, type, applied) in result.outcomes {
            let outcome = applied == .applied ? "applied" : "ignored"
            Counter(label: MetricName.events, dimensions: [("type", type), ("outcome", outcome)]).increment()
            logger.debug("event \(outcome)", metadata: [LogKey.eventId: "\(id)", LogKey.eventType: "\(type)"])
        }
        for failure in result.failed {
            let outcome = failure.dead ? "dead" : "failed"
            Counter(label: MetricName.events, dimensions: [("type", failure.type), ("outcome", outcome)]).increment()
            let meta: Logger.Metadata = [
                LogKey.eventId: "\(failure.id)", LogKey.eventType: "\(failure.type)",
                LogKey.error: "\(failure.error)",
            ]
            if failure.dead {
                logger.error("event dead after retries", metadata: meta)
            } else {
                logger.warning("event failed, will retry", metadata: meta)
            }
        }
        for reference in result.unresolved {
            Counter(label: MetricName.unresolvedReferences, dimensions: [("kind", reference.kind)]).increment()
            logger.info("kept until it arrives: \(reference.detail)")
        }
        for referral in result.selfReferrals {
            Counter(label: MetricName.selfReferrals).increment()
            logger.warning("self-referral: \(referral)")
        }
        for conflict in result.conflicts {
            Counter(label: MetricName.attributionConflicts).increment()
            logger.warning("attribution conflict: \(conflict)")
        }
    }
}
