import AttributionCore
import Foundation
import GRDB

/// Inbox counts and lag, for `status` and the metrics.
public struct InboxStatusSummary: Sendable, Equatable {
    public var counts: [InboxStatus: Int]
    /// How many events came in by each way (webhook, import, backfill, admin).
    public var origins: [InboxOrigin: Int] = [:]
    /// Seconds since the oldest event still to apply (pending or failed) was received.
    public var oldestPendingAgeSeconds: Int?
    public var lastReceivedAt: String?
}

extension AppDatabase {
    /// Counts by status and origin, the oldest event still to do, the last received.
    ///
    /// Every query here reads an index or one row, never the whole inbox: on a
    /// million events the table is 4 GB, and the metrics ask on every scrape.
    /// The queue is in arrival order (`seq`), so its first row is the oldest
    /// received and the inbox's last row the newest.
    public func inboxStatus(now: Int64) async throws -> InboxStatusSummary {
        try await writer.read { db in
            let oldest = try String.fetchOne(
                db,
                sql: """
                    SELECT received_at FROM inbox_events WHERE status IN ('pending', 'failed') ORDER BY seq LIMIT 1
                    """)
            let last = try String.fetchOne(db, sql: "SELECT received_at FROM inbox_events ORDER BY seq DESC LIMIT 1")
            let all = try Self.inboxCount(db)
            return InboxStatusSummary(
                counts: try Self.statusCounts(db, all: all), origins: try Self.originCounts(db, all: all),
                oldestPendingAgeSeconds: oldest.flatMap(Timestamp.parse).map { Int(max(0, now - $0)) },
                lastReceivedAt: last)
        }
    }

    /// How many events the inbox holds, read inside `db`.
    static func inboxCount(_ db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT count(*) FROM inbox_events") ?? 0
    }

    /// Statuses with at least one event, of `all` rows. The intake writes no
    /// index on status (0017): pending and failed are the queue index, failed,
    /// ignored and dead the set-aside index, and applied is every other row.
    static func statusCounts(_ db: Database, all: Int) throws -> [InboxStatus: Int] {
        let queued = try Int.fetchOne(db, sql: "SELECT count(*) FROM inbox_events WHERE status IN ('pending', 'failed')") ?? 0
        var counts: [InboxStatus: Int] = try groupCounts(db, "status", where: "status NOT IN ('pending', 'applied')")
        counts[.pending] = queued - counts[.failed, default: 0]
        counts[.applied] = all - queued - counts[.ignored, default: 0] - counts[.dead, default: 0]
        return counts.filter { $0.value > 0 }
    }

    /// Origins with at least one event, of `all` rows; webhooks are every row the index of the others lacks.
    static func originCounts(_ db: Database, all: Int) throws -> [InboxOrigin: Int] {
        var counts: [InboxOrigin: Int] = try groupCounts(db, "origin", where: "origin <> 'webhook'")
        counts[.webhook] = all - counts.values.reduce(0, +)
        return counts.filter { $0.value > 0 }
    }

    /// Rows per value of `column` among those `condition` selects: the
    /// condition is a partial index's, so only that index is read.
    private static func groupCounts<Value: RawRepresentable & Hashable>(
        _ db: Database, _ column: String, where condition: String
    ) throws -> [Value: Int] where Value.RawValue == String {
        var counts: [Value: Int] = [:]
        let sql = "SELECT \(column), count(*) AS n FROM inbox_events WHERE \(condition) GROUP BY \(column)"
        for row in try Row.fetchAll(db, sql: sql) {
            if let value = Value(rawValue: row[0]) { counts[value] = row[1] }
        }
        return counts
    }

    /// Throws unless a write transaction can be taken now (for `/readyz`).
    public func probeWritable() async throws {
        try await writer.write { db in
            try db.execute(sql: "INSERT INTO daemon_settings (key, value) VALUES ('ready_probe', '1') ON CONFLICT (key) DO NOTHING")
        }
    }

    /// A value from `daemon_settings`.
    public func setting(_ key: String) throws -> String? {
        try writer.read { db in try String.fetchOne(db, sql: "SELECT value FROM daemon_settings WHERE key = ?", arguments: [key]) }
    }

    /// Stores `value` under `key` unless one is there; returns the value kept.
    public func settingInsertingIfAbsent(_ key: String, value: String) throws -> String {
        try writer.write { db in
            try db.execute(
                sql: "INSERT INTO daemon_settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                arguments: [key, value])
            return try String.fetchOne(db, sql: "SELECT value FROM daemon_settings WHERE key = ?", arguments: [key]) ?? value
        }
    }
}
