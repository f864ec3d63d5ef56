import AttributionCore
import AttributionTestSupport
import Foundation
import GRDB
import Testing

@testable import AttributionStore

/// `inbox_events.origin`: how each event reached the inbox (docs/schema.md).
@Suite("Inbox origin")
struct InboxOriginTests {
    @Test("upgrading classifies the events already stored: the daemon's own are admin, the rest webhooks")
    func upgradeClassifies() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("attributiond-origin-\(UUID()).sqlite").path
        defer { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + s) } }
        do {
            let old = try DatabaseQueue(path: path)
            try AppDatabase.migrator.migrate(old, upTo: "0010_disputes")
            try old.write { db in
                for (id, type) in [
                    ("evt_1", "charge.succeeded"), ("signup_k", "attributiond.signup"),
                    ("settings_1", "attributiond.settings"),
                ] {
                    try db.execute(
                        sql: """
                            INSERT INTO inbox_events (event_id, type, livemode, stripe_created_at, received_at, payload)
                            VALUES (?, ?, 1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', '{}')
                            """, arguments: [id, type])
                }
            }
            try old.close()
        }
        let db = try AppDatabase.open(path: path)
        #expect(
            try db.column("SELECT event_id || ' ' || origin FROM inbox_events ORDER BY seq")
                == ["evt_1 webhook", "signup_k admin", "settings_1 admin"])
        #expect(throws: (any Error).self) {
            try db.writer.write { db in try db.execute(sql: "UPDATE inbox_events SET origin = 'mail'") }
        }
    }

    @Test("new events get the origin they are stored with; local events default to admin")
    func storedOrigins() async throws {
        let db = try AppDatabase.makeEmpty()
        let charge = EventFactory.charge(event: "evt_c", created: 1, id: "ch_1", amount: 10)
        try await db.insert(
            [
                NewInboxEvent(event: try StripeEvent.decode(Array(charge.utf8)), payload: charge),
                NewInboxEvent(
                    eventId: "evt_b", type: "charge.succeeded", livemode: true, apiVersion: nil, stripeCreated: 1,
                    payload: charge, origin: .backfill),
                NewInboxEvent(
                    eventId: "partner_1", type: "attributiond.partner", livemode: true, apiVersion: nil,
                    stripeCreated: 1, payload: "{}"),
            ], receivedAt: 1)
        #expect(
            try db.inboxRows().map { "\($0.eventId) \($0.origin.rawValue)" }
                == ["partner_1 admin", "evt_b backfill", "evt_c webhook"])
        let status = try await db.inboxStatus(now: 2)
        #expect(status.origins == [.webhook: 1, .backfill: 1, .admin: 1])
    }
}
