import AttributionCore
import Foundation
import GRDB

/// The derivation settings recorded in the database, and when they were set.
public struct RecordedSettings: Sendable, Equatable {
    public var apply: ApplySettings
    /// The settings event in force, or nil when none was recorded (the defaults hold).
    public var eventId: String?
    public var since: Int64?
}

extension AppDatabase {
    /// The settings the derived tables were built with: the latest settings
    /// event applied, or the defaults (charge, prorate) when there is none.
    public func recordedSettings() throws(StoreError) -> RecordedSettings {
        do {
            return try writer.read { db in
                guard
                    let row = try db.one(
                        """
                        SELECT transaction_source, partial_refunds, v_event, v_created FROM derivation_settings WHERE id = 1
                        """, as: { c in (try c[0] as String, try c[1] as String, try c[2] as String, try c[3] as Int64) })
                else { return RecordedSettings(apply: ApplySettings()) }
                guard let source = ApplySettings.TransactionSource(rawValue: row.0),
                    let refunds = ApplySettings.PartialRefunds(rawValue: row.1)
                else { throw StoreError.failed("cannot read the derivation settings: '\(row.0)', '\(row.1)'") }
                return RecordedSettings(
                    apply: ApplySettings(transactionSource: source, partialRefunds: refunds),
                    eventId: row.2, since: row.3)
            }
        } catch {
            throw StoreError.wrap(error, "read the derivation settings")
        }
    }

    /// True when some event was applied: the tables already mean something.
    public func hasAppliedEvents() throws(StoreError) -> Bool {
        do {
            return try writer.read { db in
                try Self.statusCounts(db, all: Self.inboxCount(db))[.applied] != nil
            }
        } catch {
            throw StoreError.wrap(error, "read the inbox")
        }
    }

    /// Records new derivation settings as an admin event dated `now`, then
    /// rebuilds every derived table with them (a changed setting changes what
    /// each row means). Returns the rebuild's result.
    @discardableResult
    public func recordSettings(_ settings: ApplySettings, now: Int64) async throws(StoreError) -> BatchResult {
        let object = LocalEvent.Settings(
            transactionSource: settings.transactionSource.rawValue,
            partialRefunds: settings.partialRefunds.rawValue)
        // Two changes in the same second are ordered by event id: it carries the wall clock
        // in nanoseconds, fixed width, so the later change wins (as partner profiles do).
        var clock = timespec()
        clock_gettime(CLOCK_REALTIME, &clock)
        let nanos = String(format: "%019lld", Int64(clock.tv_sec) * 1_000_000_000 + Int64(clock.tv_nsec))
        let id = "settings_\(now)_\(nanos)_\(UInt16.random(in: .min ... .max))"
        let payload: String
        do { payload = try LocalEvent.envelope(id: id, type: LocalEvent.settingsType, created: now, object: object) } catch {
            throw StoreError.failed("cannot record the settings: \(error)")
        }
        let event: NewInboxEvent
        do { event = NewInboxEvent(event: try StripeEvent.decode(Array(payload.utf8)), payload: payload) } catch {
            throw StoreError.failed("cannot record the settings: \(error)")
        }
        _ = try await recordAndApply(event, settings: settings, now: now)
        return try rebuild(settings: settings, now: now)
    }
}
