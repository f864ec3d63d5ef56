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
    public func inboxStatus(now: Int64) async throws -> InboxStatusSummary {
        try await writer.read { db in
            var counts: [InboxStatus: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT status, count(*) AS n FROM inbox_events GROUP BY status") {
                if let status = InboxStatus(rawValue: row["status"]) { counts[status] = row["n"] }
            }
            let oldest = try String.fetchOne(
                db,
                sql: """
                    SELECT min(received_at) FROM inbox_events WHERE status IN ('pending', 'failed')
                    """)
            var origins: [InboxOrigin: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT origin, count(*) AS n FROM inbox_events GROUP BY origin") {
                if let origin = InboxOrigin(rawValue: row["origin"]) { origins[origin] = row["n"] }
            }
            let last = try String.fetchOne(db, sql: "SELECT max(received_at) FROM inbox_events")
            return InboxStatusSummary(
                counts: counts, origins: origins,
                oldestPendingAgeSeconds: oldest.flatMap(Timestamp.parse).map { Int(max(0, now - $0)) },
                lastReceivedAt: last)
        }
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
