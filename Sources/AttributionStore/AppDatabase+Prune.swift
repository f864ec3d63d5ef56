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
    static let pruneBatchTarget = 0.010

    /// Deletes ignored events (of types attribution does not use) received before
    /// `before`, in small transactions so intake keeps answering, then returns
    /// the freed pages to the file system when the database uses incremental
    /// vacuum. An event counts as ignored only when its status is `ignored` and
    /// its payload parses to a type the worker does not use: an event of a used
    /// type that happened to change nothing is kept, since a rebuild reads it.
    public func pruneIgnored(before: Int64, initialBatch: Int = 200) async throws(StoreError) -> PruneResult {
        var result = PruneResult()
        let cutoff = Timestamp.iso(before)
        var batch = max(1, initialBatch)
        var after: Int64 = 0
        do {
            while true {
                // Read candidates outside the write lock; parsing is the slow part.
                let rows = try await writer.read { [batch, after] db in
                    try Row.fetchAll(db, sql: """
                        SELECT seq, payload FROM inbox_events
                        WHERE seq > ? AND status = 'ignored' AND received_at < ?
                        ORDER BY seq LIMIT ?
                        """, arguments: [after, cutoff, batch])
                        .map { (seq: $0["seq"] as Int64, payload: $0["payload"] as String) }
                }
                guard let last = rows.last?.seq else { break }
                after = last
                let unused = rows.filter { (try? EventSnapshot(payload: $0.payload)) == .ignored }.map(\.seq)
                guard !unused.isEmpty else { continue }
                let started = DispatchTime.now().uptimeNanoseconds
                let deleted = try await writer.write { db in
                    try db.execute(sql: "DELETE FROM inbox_events WHERE status = 'ignored' AND seq IN (\(unused.map(String.init).joined(separator: ",")))")
                    return db.changesCount
                }
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
                result.deleted += deleted
                result.batches += 1
                result.longestBatchMilliseconds = max(result.longestBatchMilliseconds, seconds * 1000)
                // Keep each transaction near the target, whatever the disk and payload sizes.
                if seconds > Self.pruneBatchTarget * 2 { batch = max(1, batch / 2) }
                else if seconds < Self.pruneBatchTarget / 2 { batch = min(1000, batch * 3 / 2 + 1) }
            }
            try await releaseFreePages(into: &result)
        } catch {
            throw StoreError.wrap(error, "prune the inbox")
        }
        return result
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
            let started = DispatchTime.now().uptimeNanoseconds
            let (released, left) = try await writer.write { [step] db in
                let before = try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0
                if before > 0 { try db.execute(sql: "PRAGMA incremental_vacuum(\(step))") }
                let after = try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0
                return (before - after, after)
            }
            result.pagesReleased += released
            result.freePagesLeft = left
            if released == 0 || left == 0 { break }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            if seconds > Self.pruneBatchTarget * 2 { step = max(16, step / 2) }
            else if seconds < Self.pruneBatchTarget / 2 { step = min(8192, step * 2) }
        }
        if !result.incrementalVacuum {
            result.freePagesLeft = try await writer.read { db in try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0 }
        }
        // Move the WAL's pages into the file, so the file shrinks now, without waiting for readers.
        _ = try? await writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(PASSIVE)") }
    }
}
