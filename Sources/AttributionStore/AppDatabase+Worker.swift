import AttributionCore
import Foundation
import GRDB

/// The result of one worker batch.
public struct BatchResult: Sendable, Equatable {
    public var applied: [String] = []
    public var ignored: [String] = []
    /// Event id, type and error of each event that failed this time.
    public var failed: [(id: String, type: String, error: String, dead: Bool)] = []
    public var conflicts: [String] = []
    /// References to objects not seen yet, by kind (a dispute of an unknown charge, …): kept until they arrive.
    public var unresolved: [(kind: String, detail: String)] = []
    /// Customers newly flagged as self-referrals, whose commissions are held until approved.
    public var selfReferrals: [String] = []
    /// The batch committed early to let the intake write; more events may be due.
    public var yielded = false
    /// Every event applied or ignored, in order, for logs and metrics.
    public var outcomes: [(id: String, type: String, outcome: ApplyOutcome)] = []
    public var processed: Int { applied.count + ignored.count + failed.count }

    public static func == (a: BatchResult, b: BatchResult) -> Bool {
        a.applied == b.applied && a.ignored == b.ignored && a.failed.map(\.id) == b.failed.map(\.id)
    }
}

/// When and how often a failed event is tried again.
public struct RetryPolicy: Sendable {
    public var maxAttempts: Int
    public var baseDelay: Int64
    public var maxDelay: Int64

    public init(maxAttempts: Int = 8, baseDelay: Int64 = 2, maxDelay: Int64 = 3600) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// Exponential backoff: base, 2×base, 4×base … capped.
    public func delay(afterAttempt attempt: Int) -> Int64 {
        let exponent = min(max(attempt - 1, 0), 30)
        return min(baseDelay << Int64(exponent), maxDelay)
    }
}

/// Due inbox events, read and parsed before the write transaction starts, so
/// that parsing (about a fifth of the work per event) happens off the writer
/// and can overlap the previous batch's write.
public struct DueBatch: Sendable {
    struct Item: Sendable {
        var seq: Int64
        var eventId: String
        var type: String
        /// The parsed snapshot, or why the payload could not be read.
        var snapshot: Result<EventSnapshot, any Error>
    }

    var items: [Item]
    public var count: Int { items.count }
    /// The newest event in the batch: where the next read continues.
    public var lastSeq: Int64? { items.last?.seq }
}

extension AppDatabase {
    /// Applies up to `limit` due events in one transaction, each together with
    /// its inbox status change: one bad event rolls back alone and is marked
    /// `failed` (or `dead`), the others commit.
    ///
    /// After `minimum` events it commits early whenever `pressure` says the intake
    /// is waiting for the writer, so a webhook never waits behind a whole batch.
    public func applyDue(
        limit: Int = 200, settings: ApplySettings, retry: RetryPolicy = RetryPolicy(),
        now: Int64, minimum: Int = 16, pressure: IntakePressure? = nil
    ) async throws(StoreError) -> BatchResult {
        let batch = try await readDue(limit: limit, now: now)
        return try await apply(batch, settings: settings, retry: retry, now: now, minimum: minimum, pressure: pressure)
    }

    /// Reads up to `limit` due events after `seq` (oldest first) from a read
    /// snapshot and parses them, without taking the writer.
    public func readDue(limit: Int, now: Int64, after seq: Int64 = -1) async throws(StoreError) -> DueBatch {
        do {
            let rows = try await writer.read { db in
                try db.all(
                    """
                    SELECT \(Self.workColumns) FROM inbox_events INDEXED BY inbox_events_todo
                    WHERE status IN ('pending', 'failed') AND (next_attempt_at IS NULL OR next_attempt_at <= ?)
                      AND seq > ?
                    ORDER BY seq LIMIT ?
                    """, Timestamp.iso(now), seq, limit, as: WorkRow.init)
            }
            return DueBatch(
                items: rows.map { row in
                    DueBatch.Item(
                        seq: row.seq, eventId: row.eventId, type: row.type,
                        snapshot: Result { try EventSnapshot(payload: row.payload) })
                })
        } catch {
            throw StoreError.wrap(error, "read due events")
        }
    }

    /// Applies a batch from `readDue`. Each event is checked again inside the
    /// transaction: one applied or retried meanwhile (by `events retry`, say) is skipped.
    ///
    /// Almost every batch applies whole, so it first runs without savepoints:
    /// a savepoint makes SQLite copy every page the event touches, about a tenth
    /// of the apply time. If an event fails while writing, that transaction is
    /// rolled back and the batch runs again with a savepoint per event, so the
    /// bad event rolls back alone and the others commit.
    public func apply(
        _ batch: DueBatch, settings: ApplySettings, retry: RetryPolicy = RetryPolicy(), now: Int64,
        minimum: Int = 16, pressure: IntakePressure? = nil
    ) async throws(StoreError) -> BatchResult {
        guard batch.count > 0 else { return BatchResult() }
        func run(isolating: Bool) async throws -> BatchResult {
            try await writer.write { db in
                var result = BatchResult()
                let statements = Statements(memoizing: db)
                let deferred = isolating ? nil : DeferredDerivations()
                let stillDue = try Self.attemptsOfStillDue(batch, in: db)
                for (index, item) in batch.items.enumerated() {
                    if index >= minimum, pressure?.isWaiting == true {
                        result.yielded = true
                        break
                    }
                    guard let attempts = stillDue[item.seq] else { continue }
                    try Self.applyOne(
                        seq: item.seq, eventId: item.eventId, type: item.type, attempts: attempts,
                        snapshot: { try item.snapshot.get() }, in: statements, settings: settings, retry: retry,
                        now: now, deferred: deferred, into: &result)
                }
                if let deferred {
                    try Self.settleBatch(in: statements, settings: settings, deferred: deferred, into: &result)
                }
                return result
            }
        }
        do {
            do {
                return try await run(isolating: false)
            } catch is EventFailedInBatch {
                return try await run(isolating: true)
            }
        } catch {
            throw StoreError.wrap(error, "apply events")
        }
    }

    /// Without savepoints the events leave their charges' transactions and the
    /// ledger to this one settle at the end of the batch: both depend only on
    /// the final facts and rows, so one pass gives what a pass after each event
    /// would, and a transaction several events touched is derived once. If it
    /// fails, the batch runs again with a savepoint and a settle per event,
    /// which finds the event that caused it.
    private static func settleBatch(
        in db: Statements, settings: ApplySettings, deferred: DeferredDerivations, into result: inout BatchResult
    ) throws {
        var projector = Projector(db: db, settings: settings, deferred: deferred)
        do {
            try projector.deriveDeferred()
            try projector.settleLedger()
        } catch {
            if let e = error as? DatabaseError, e.isInterrupt { throw error }
            throw EventFailedInBatch()
        }
        result.selfReferrals += projector.selfReferrals
    }

    /// The attempts of the batch's events that are still pending or failed, by
    /// seq: one read over the queue index instead of one per event.
    private static func attemptsOfStillDue(_ batch: DueBatch, in db: Database) throws -> [Int64: Int] {
        guard let first = batch.items.first?.seq, let last = batch.lastSeq else { return [:] }
        let rows = try db.all(
            """
            SELECT seq, attempts FROM inbox_events INDEXED BY inbox_events_todo
            WHERE status IN ('pending', 'failed') AND seq BETWEEN ? AND ?
            """, first, last
        ) { (try $0[0] as Int64, try $0[1] as Int) }
        return Dictionary(uniqueKeysWithValues: rows)
    }

    /// Applies an inbox row, parsing its payload first.
    static func applyOne(
        _ row: WorkRow, in db: Statements, settings: ApplySettings, retry: RetryPolicy, now: Int64,
        into result: inout BatchResult
    ) throws {
        try applyOne(
            seq: row.seq, eventId: row.eventId, type: row.type, attempts: row.attempts,
            snapshot: { try EventSnapshot(payload: row.payload) }, in: db, settings: settings,
            retry: retry, now: now, into: &result)
    }

    /// Applies one event with its inbox status change. Without `deferred`
    /// (isolating), inside a savepoint, so a failure rolls back this event alone
    /// and is written onto its row; with it (the batch settles at its end), a
    /// failure while writing throws `EventFailedInBatch` and the caller rolls
    /// back the whole transaction. A payload that cannot be read fails the same
    /// way either way: nothing was written for it yet.
    static func applyOne(
        seq: Int64, eventId: String, type: String, attempts: Int, snapshot: () throws -> EventSnapshot,
        in db: Statements, settings: ApplySettings, retry: RetryPolicy, now: Int64,
        deferred: DeferredDerivations? = nil, into result: inout BatchResult
    ) throws {
        let isolating = deferred == nil
        var outcome = ApplyOutcome.ignored
        var conflicts: [String] = []
        var unresolved: [(kind: String, detail: String)] = []
        var selfReferrals: [String] = []
        func write(_ snapshot: EventSnapshot) throws {
            var projector = Projector(db: db, settings: settings, deferred: deferred)
            outcome = try projector.apply(snapshot)
            conflicts = projector.conflicts
            unresolved = projector.unresolved
            selfReferrals = projector.selfReferrals
            try db.run(
                """
                UPDATE inbox_events SET status = ?, applied_at = ?, last_error = NULL, next_attempt_at = NULL
                WHERE seq = ?
                """, outcome == .applied ? "applied" : "ignored", Timestamp.iso(now), seq)
        }
        do {
            let parsed = try snapshot()
            if isolating {
                try db.db.inSavepoint {
                    try write(parsed)
                    return .commit
                }
            } else {
                do { try write(parsed) } catch {
                    if let e = error as? DatabaseError, e.isInterrupt { throw error }
                    throw EventFailedInBatch()
                }
            }
            result.conflicts += conflicts
            result.unresolved += unresolved
            result.selfReferrals += selfReferrals
            result.outcomes.append((eventId, type, outcome))
            if outcome == .applied { result.applied.append(eventId) } else { result.ignored.append(eventId) }
        } catch {
            if error is EventFailedInBatch { throw error }
            if let e = error as? DatabaseError, e.isInterrupt { throw error }
            let attempts = attempts + 1
            let dead = attempts >= retry.maxAttempts
            let message = "\(error)"
            try db.run(
                """
                UPDATE inbox_events SET status = ?, attempts = ?, last_error = ?, next_attempt_at = ?
                WHERE seq = ?
                """, dead ? "dead" : "failed", attempts, message,
                dead ? nil : Timestamp.iso(now + retry.delay(afterAttempt: attempts)), seq)
            result.failed.append((eventId, type, message, dead))
        }
    }

    /// The inbox columns `applyOne` reads, in `WorkRow`'s order.
    static let workColumns = "seq, event_id, type, payload, attempts"

    /// An inbox row as the worker reads it.
    struct WorkRow {
        var seq: Int64, eventId: String, type: String, payload: String, attempts: Int

        init(_ c: Columns) throws {
            (seq, eventId, type, payload, attempts) = try (c[0], c[1], c[2], c[3], c[4])
        }
    }

    /// Tables re-derived from the inbox (everything but the inbox and the key-value settings).
    static let derivedTables = [
        "customers", "partners", "transactions", "subscriptions",
        "fact_customers", "fact_charges", "fact_subscriptions", "fact_invoices", "fact_invoice_payments",
        "fact_keys", "fact_key_links", "fact_identity_partners", "fact_partner_first", "fact_partner_profiles",
        "fact_disputes",
        "fact_promotion_codes", "fact_promotion_code_mappings", "fact_discounts", "promotion_codes",
        "derivation_settings",
        "reward_rules", "reward_hold", "fact_approvals", "ledger_commissions", "ledger_totals",
        "payouts", "payout_lines", "payout_items", "fact_payout_marks",
        // Last: the swap's inserts into the tables above fill it through triggers; the shadow's copy is empty.
        "ledger_dirty",
    ]
}

extension DatabaseError {
    var isInterrupt: Bool { resultCode == .SQLITE_INTERRUPT }
}

/// An event failed while its batch ran without savepoints; the batch runs again with them.
struct EventFailedInBatch: Error {}

/// What a batch's events leave to be derived once at its end (see `Projector.deferred`).
final class DeferredDerivations {
    var charges = Set<String>()
}

extension AppDatabase {
    /// Stores a local event (a signup or partner profile from the API or CLI) in
    /// the inbox and applies it in the same transaction, so the admin sees its
    /// effect at once whether or not the daemon is running. A duplicate id changes nothing.
    public func recordAndApply(_ event: NewInboxEvent, settings: ApplySettings, now: Int64) async throws(StoreError) -> InsertOutcome {
        do {
            return try await writer.write { db in
                let outcome = try Self.insert([event], receivedAt: now, in: db)[0]
                guard outcome == .stored,
                    let row = try db.one(
                        "SELECT \(Self.workColumns) FROM inbox_events WHERE event_id = ?", event.eventId,
                        as: WorkRow.init)
                else { return outcome }
                var result = BatchResult()
                try Self.applyOne(row, in: Statements(db), settings: settings, retry: RetryPolicy(), now: now, into: &result)
                if let failure = result.failed.first {
                    throw StoreError.failed("cannot apply \(event.type): \(failure.error)")
                }
                return outcome
            }
        } catch {
            throw StoreError.wrap(error, "record \(event.type)")
        }
    }
}
