import AttributionCore
import GRDB
import Logging

extension AppDatabase {
    /// The `daemon_settings` key holding the Stripe event types the last binary used.
    static let usedTypesKey = "used_event_types"

    /// After an upgrade that taught the worker new event types (disputes, say),
    /// the events of those types that an older version stored and marked
    /// `ignored` go back to `pending`, so the worker applies them as if they had
    /// just arrived; order independence makes the result the one they would
    /// have given at arrival. Runs once per change of the set (it remembers the
    /// set in `daemon_settings`), so a start with the same binary costs one read.
    /// Returns how many events went back.
    @discardableResult
    func requeueNewlyUsedTypes() throws -> Int {
        let current = EventSnapshot.usedStripeTypes
        let remembered = current.sorted().joined(separator: ",")
        return try writer.write { db in
            let stored = try String.fetchOne(db, sql: "SELECT value FROM daemon_settings WHERE key = ?", arguments: [Self.usedTypesKey])
            guard stored != remembered else { return 0 }
            let known = Set((stored ?? "").split(separator: ",").map(String.init))
            let new = current.subtracting(known).sorted()
            var requeued = 0
            if !new.isEmpty {
                try db.execute(
                    sql: """
                        UPDATE inbox_events SET status = 'pending', attempts = 0, next_attempt_at = NULL, applied_at = NULL
                        WHERE status = 'ignored' AND type IN (\(new.map { _ in "?" }.joined(separator: ",")))
                        """, arguments: StatementArguments(new))
                requeued = db.changesCount
            }
            try db.execute(
                sql: """
                    INSERT INTO daemon_settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value
                    """, arguments: [Self.usedTypesKey, remembered])
            if requeued > 0 {
                Logger(label: "attributiond").notice(
                    "\(requeued) stored event(s) of types this version now uses go back to the worker",
                    metadata: ["types": "\(new.joined(separator: ","))"])
            }
            return requeued
        }
    }
}
