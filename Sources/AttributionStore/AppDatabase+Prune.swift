import AttributionCore
import Foundation
import GRDB

/// What `events prune` did.
public struct PruneResult: Sendable {
    public var deleted = 0
    /// Write transactions that deleted rows; each held the write lock briefly.
    public var batches = 0
    /// The longest of those transactions, in milliseconds.
    public var longestBatchMilliseconds = 0.0
    /// Pages handed back to the file system by the incremental vacuum.
    public var pagesReleased = 0
    public var pageSize = 0
    /// False when the database predates incremental vacuum: freed pages stay
    /// in the file and new events reuse them.
    public var incrementalVacuum = false
    public var freePagesLeft = 0
}

extension AppDatabase {
    /// A write transaction of prune aims at this long, well under the 50 ms it may take.
    static let pruneBatchTarget = 0.005
    /// The most rows one transaction deletes.
    static let pruneBatchCap = 500
    /// After each transaction prune leaves the lock free this many times as long as it held it
    /// (and at least `prunePauseMinimum`): it holds the lock at most a fifth of the time.
    static let prunePauseFactor = 4.0
    static let prunePauseMinimum = 0.005

    /// Deletes one batch of ignored events in its own write transaction; returns
    /// how many went and how long the write lock was held.
    private func deleteBatch(_ seqs: [Int64]) async throws -> (value: Int, seconds: Double) {
        try await holdingWithoutFsync { db in
            try db.execute(
                sql: "DELETE FROM inbox_events WHERE status = 'ignored' AND seq IN (\(seqs.map(String.init).joined(separator: ",")))")
            return db.changesCount
        }
    }

    /// Runs `body` in one write transaction of prune's and returns its result with
    /// how long the write lock was held: from the moment `BEGIN IMMEDIATE` got it
    /// to the end of `COMMIT`, so time spent waiting behind the daemon's commits
    /// does not count as holding.
    ///
    /// The commit does not wait for an fsync (`synchronous=NORMAL` for this one
    /// transaction). A prune lost to a power cut only brings back ignored rows that
    /// the next prune deletes again (or free pages the next vacuum releases), and
    /// the daemon's next commit (FULL) syncs the write-ahead log up to its end,
    /// prune's frames included. Measured on the 2-core machine: with an fsync per
    /// batch and no pauses, the longest batch took 114 ms and sequential webhooks'
    /// p99 went from 62.5 to 96.1 ms while prune ran; without it and with the
    /// pauses, the benchmark's prune row (100,000 events) gives a longest hold of
    /// 32.5 ms and intake p99 at 1.04 × (8 connections) and 0.92 × (64) of the same
    /// load without prune.
    private func holdingWithoutFsync<T: Sendable>(
        _ body: @escaping @Sendable (Database) throws -> T
    ) async throws -> (value: T, seconds: Double) {
        try await writer.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            defer { try? db.execute(sql: "PRAGMA synchronous = FULL") }
            var started: UInt64 = 0
            var value: T?
            try db.inTransaction(.immediate) {
                started = DispatchTime.now().uptimeNanoseconds
                value = try body(db)
                return .commit
            }
            return (value!, Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
        }
    }

    /// Deletes ignored events (of types attribution does not use) received before
    /// `before`, in small transactions so intake keeps answering, then returns
    /// the freed pages to the file system when the database uses incremental
    /// vacuum. An event counts as ignored only when its status is `ignored` and
    /// its payload parses to a type the worker does not use: an event of a used
    /// type that happened to change nothing is kept, since a rebuild reads it.
    public func pruneIgnored(before: Int64, initialBatch: Int = 100) async throws(StoreError) -> PruneResult {
        var result = PruneResult()
        let cutoff = Timestamp.iso(before)
        var batch = max(1, initialBatch)
        var after: Int64 = 0
        do {
            while true {
                // Read candidates outside the write lock; parsing is the slow part.
                let rows = try await writer.read { [batch, after] db in
                    try Row.fetchAll(
                        db,
                        sql: """
                            SELECT seq, payload FROM inbox_events
                            WHERE seq > ? AND status = 'ignored' AND received_at < ?
                            ORDER BY seq LIMIT ?
                            """, arguments: [after, cutoff, batch]
                    )
                    .map { (seq: $0["seq"] as Int64, payload: $0["payload"] as String) }
                }
                guard let last = rows.last?.seq else { break }
                after = last
                let unused = rows.filter { (try? EventSnapshot(payload: $0.payload)) == .ignored }.map(\.seq)
                guard !unused.isEmpty else { continue }
                let (deleted, seconds) = try await deleteBatch(unused)
                result.deleted += deleted
                result.batches += 1
                result.longestBatchMilliseconds = max(result.longestBatchMilliseconds, seconds * 1000)
                // Keep each transaction near the target, whatever the disk and payload sizes.
                if seconds > Self.pruneBatchTarget * 2 {
                    batch = max(1, batch / 2)
                } else if seconds < Self.pruneBatchTarget / 2 {
                    batch = min(Self.pruneBatchCap, batch * 3 / 2 + 1)
                }
                // Then leave the lock free, so intake's group commits find it free most of the time.
                try await pause(after: seconds)
            }
            try await releaseFreePages(into: &result)
        } catch {
            throw StoreError.wrap(error, "prune the inbox")
        }
        return result
    }

    /// Between two transactions: a rest of `prunePauseFactor` times the transaction's hold.
    /// (A passive checkpoint in each pause was measured too: one more fsync per batch,
    /// and intake's p99 and rate both got worse.)
    private func pause(after seconds: Double) async throws {
        let rest = max(seconds * Self.prunePauseFactor, Self.prunePauseMinimum)
        try? await Task.sleep(nanoseconds: UInt64(rest * 1e9))
    }

    /// `PRAGMA incremental_vacuum` a few hundred pages per transaction.
    private func releaseFreePages(into result: inout PruneResult) async throws {
        let (mode, pageSize) = try await writer.read { db in
            (try Int.fetchOne(db, sql: "PRAGMA auto_vacuum") ?? 0, try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 0)
        }
        result.pageSize = pageSize
        result.incrementalVacuum = mode == 2
        var step = 256
        while result.incrementalVacuum {
            let ((released, left), seconds) = try await holdingWithoutFsync { [step] db in
                let before = try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0
                if before > 0 { try db.execute(sql: "PRAGMA incremental_vacuum(\(step))") }
                let after = try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0
                return (before - after, after)
            }
            result.pagesReleased += released
            result.freePagesLeft = left
            if released == 0 || left == 0 { break }
            if seconds > Self.pruneBatchTarget * 2 {
                step = max(16, step / 2)
            } else if seconds < Self.pruneBatchTarget / 2 {
                step = min(8192, step * 2)
            }
            try await pause(after: seconds)
        }
        if !result.incrementalVacuum {
            result.freePagesLeft = try await writer.read { db in try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0 }
        }
        // Move the WAL's pages into the file, so the file shrinks now, without waiting for readers.
        _ = try? await writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(PASSIVE)") }
    }
}
