import AttributionCore
import Foundation

/// Group commit for the webhook intake: one writer takes every insert that is
/// waiting, commits them in one transaction, then answers all of them.
///
/// Under load this turns N fsyncs into one while each request still returns
/// only after its own row is durably committed (or fails with the commit).
public actor InboxWriter {
    private let database: AppDatabase
    private let clock: @Sendable () -> Int64
    private let onCommit: @Sendable (Int) -> Void
    private var waiting: [(NewInboxEvent, CheckedContinuation<InsertOutcome, any Error>)] = []
    private var flushing = false
    /// Largest number of events committed together, so one huge queue is not one huge transaction.
    private let maxBatch: Int
    /// Raised while a flush is queued or running, for the worker to yield to.
    public nonisolated let pressure: IntakePressure

    public init(
        database: AppDatabase, maxBatch: Int = 512, pressure: IntakePressure = IntakePressure(),
        clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) },
        onCommit: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        self.database = database
        self.maxBatch = maxBatch
        self.clock = clock
        self.onCommit = onCommit
        self.pressure = pressure
    }

    /// Stores one event; returns once it is committed. Throws `StoreError` if the commit failed.
    public func submit(_ event: NewInboxEvent) async throws -> InsertOutcome {
        try await withCheckedThrowingContinuation { continuation in
            waiting.append((event, continuation))
            if !flushing {
                flushing = true
                pressure.set(true)
                Task { await self.flush() }
            }
        }
    }

    private func flush() async {
        while !waiting.isEmpty {
            let batch = Array(waiting.prefix(maxBatch))
            waiting.removeFirst(batch.count)
            do {
                let outcomes = try await database.insert(batch.map(\.0), receivedAt: clock())
                for (item, outcome) in zip(batch, outcomes) { item.1.resume(returning: outcome) }
                let stored = outcomes.filter { $0 == .stored }.count
                if stored > 0 { onCommit(stored) }
            } catch {
                for item in batch { item.1.resume(throwing: error) }
            }
        }
        flushing = false
        pressure.set(false)
    }
}
