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
            return InboxStatusSummary(
                counts: try Self.statusCounts(db), origins: try Self.originCounts(db),
                oldestPendingAgeSeconds: oldest.flatMap(Timestamp.parse).map { Int(max(0, now - $0)) },
                lastReceivedAt: last)
        }
    }

    /// Statuses with at least one event. The intake writes no index on status
    /// (0017): pending and failed are the queue index, failed, ignored and
    /// dead the set-aside index, and applied is every other row.
    static func statusCounts(_ db: Database) throws -> [InboxStatus: Int] {
        let all = try Int.fetchOne(db, sql: "SELECT count(*) FROM inbox_events") ?? 0
        let queued = try Int.fetchOne(db, sql: "SELECT count(*) FROM inbox_events WHERE status IN ('pending', 'failed')") ?? 0
        var counts: [InboxStatus: Int] = [:]
        let aside = """
            SELECT status, count(*) AS n FROM inbox_events WHERE status NOT IN ('pending', 'applied') GROUP BY status
            """
        for row in try Row.fetchAll(db, sql: aside) {
            if let status = InboxStatus(rawValue: row["status"]) { counts[status] = row["n"] }
        }
        counts[.pending] = queued - counts[.failed, default: 0]
        counts[.applied] = all - queued - counts[.ignored, default: 0] - counts[.dead, default: 0]
        return counts.filter { $0.value > 0 }
    }

    /// Origins with at least one event; webhooks are every row the index of the others lacks.
    static func originCounts(_ db: Database) throws -> [InboxOrigin: Int] {
        let all = try Int.fetchOne(db, sql: "SELECT count(*) FROM inbox_events") ?? 0
        var counts: [InboxOrigin: Int] = [:]
        let others = """
            SELECT origin, count(*) AS n FROM inbox_events WHERE origin <> 'webhook' GROUP BY origin
            """
        for row in try Row.fetchAll(db, sql: others) {
            if let origin = InboxOrigin(rawValue: row["origin"]) { counts[origin] = row["n"] }
        }
        counts[.webhook] = all - counts.values.reduce(0, +)
        return counts.filter { $0.value > 0 }
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
