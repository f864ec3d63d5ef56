import AttributionCore
import Foundation
import GRDB

extension AppDatabase {
    /// An admin event id: its prefix, the recording second and the wall clock
    /// in nanoseconds (fixed width), so ids increase with the time they were
    /// recorded and ties between admin events follow creation order (docs/ledger.md).
    static func adminEventId(_ prefix: String, now: Int64) -> String {
        var clock = timespec()
        clock_gettime(CLOCK_REALTIME, &clock)
        let nanos = String(format: "%019lld", Int64(clock.tv_sec) * 1_000_000_000 + Int64(clock.tv_nsec))
        return "\(prefix)_\(now)_\(nanos)_\(String(format: "%05d", UInt16.random(in: .min ... .max)))"
    }

    /// Records one admin event dated `now` in the inbox and applies it, in one
    /// write transaction; `check` runs first in the same transaction, so a
    /// refusal (it throws) writes nothing and nothing can change in between.
    func recordAdminEvent(
        type: String, prefix: String, object: some Encodable, now: Int64,
        check: (Database) throws -> Void = { _ in }
    ) throws {
        try recordAdminEvent(type: type, prefix: prefix, now: now) { db in
            try check(db)
            return object
        }
    }

    /// As above, with the event's object made inside the write transaction
    /// (a payout is computed from the very state it is recorded on).
    func recordAdminEvent<Object: Encodable>(
        type: String, prefix: String, now: Int64,
        make: (Database) throws -> Object
    ) throws {
        let id = Self.adminEventId(prefix, now: now)
        let settings = try recordedSettings().apply
        try writer.write { db in
            let payload = try LocalEvent.envelope(id: id, type: type, created: now, object: try make(db))
            let event = NewInboxEvent(event: try StripeEvent.decode(Array(payload.utf8)), payload: payload)
            guard try Self.insert([event], receivedAt: now, in: db)[0] == .stored,
                let row = try db.one(
                    "SELECT \(Self.workColumns) FROM inbox_events WHERE event_id = ?", event.eventId,
                    as: WorkRow.init)
            else { throw StoreError.failed("cannot record \(type): the event id \(id) is taken") }
            var result = BatchResult()
            try Self.applyOne(row, in: Statements(db), settings: settings, retry: RetryPolicy(), now: now, into: &result)
            if let failure = result.failed.first { throw StoreError.failed("cannot apply \(type): \(failure.error)") }
        }
    }

    /// Derives the commissions an upgrade left to do (migration 0012 marks
    /// every transaction), so a report right after an upgrade is unchanged.
    func settleLedgerAfterMigration() throws {
        try writer.write { db in
            guard try db.one("SELECT 1 FROM ledger_dirty LIMIT 1", as: { _ in true }) == true else { return }
            let source = try db.one(
                "SELECT transaction_source FROM derivation_settings WHERE id = 1",
                as: { try $0[0] as String })
            let settings = ApplySettings(transactionSource: source.flatMap(ApplySettings.TransactionSource.init) ?? .charge)
            var projector = Projector(db: Statements(db), settings: settings)
            try projector.settleLedger()
        }
    }
}
