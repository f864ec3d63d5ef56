import AttributionCore
import AttributionStore
import AttributionTestSupport
import Foundation
import GRDB
import Testing

/// An upgrade that teaches the worker a new event type applies the events of
/// that type an older version stored and marked `ignored`.
@Suite("Event types a new version uses")
struct NewlyUsedTypesTests {
    @Test("a dispute an older version ignored is applied after the upgrade: the net drops, once")
    func ignoredDisputeIsAppliedAfterUpgrade() async throws {
        let db = try AppDatabase.makeEmpty()
        let dispute = try DisputeTests.dispute(
            event: "d1", type: "charge.dispute.created", created: 200, amount: 5000,
            status: "needs_response")
        try await db.deliver([DisputeTests.charge])
        try await db.applyAll()
        // As the older version left it: the dispute stored and ignored, disputes not among the types it used.
        try await db.deliver([dispute])
        let older = EventSnapshot.usedStripeTypes.filter { !$0.hasPrefix("charge.dispute.") }.sorted().joined(separator: ",")
        try await db.writer.write { d in
            try d.execute(sql: "UPDATE inbox_events SET status = 'ignored' WHERE event_id = 'd1'")
            try d.execute(sql: "UPDATE daemon_settings SET value = ? WHERE key = 'used_event_types'", arguments: [older])
        }
        #expect(try db.count("inbox_events", where: "status = 'ignored'") == 1)

        // When the new version starts (it migrates on open)
        try db.migrate()
        try await db.applyAll()

        // Then the dispute counts, and nothing is left ignored
        #expect(try db.count("inbox_events", where: "event_id = 'd1' AND status = 'applied'") == 1)
        let row = try db.row("SELECT amount_disputed, net_amount FROM attributed_transactions WHERE transaction_id = 'ch_1'", [])
        #expect(row?["amount_disputed"] == "5000")
        #expect(row?["net_amount"] == "0")
        // And a second start changes nothing
        try db.migrate()
        #expect(try db.count("inbox_events", where: "status = 'pending'") == 0)
    }

    @Test("a type no version uses stays ignored across starts")
    func unusedTypeStaysIgnored() async throws {
        let db = try AppDatabase.makeEmpty()
        let event = EventFactory.envelope(id: "e_bal", type: "balance.available", created: 100, object: ["object": "balance"])
        try await db.deliver([event])
        try await db.applyAll()
        try await db.writer.write { d in try d.execute(sql: "DELETE FROM daemon_settings WHERE key = 'used_event_types'") }
        try db.migrate()
        try await db.applyAll()
        #expect(try db.count("inbox_events", where: "status = 'ignored'") == 1)
    }

    @Test("every Stripe type the worker reads in the real payloads is in the list the upgrade step compares")
    func listMatchesTheSwitch() throws {
        for type in EventSnapshot.usedStripeTypes {
            let event = try StripeEvent.decode(Array(EventFactory.envelope(id: "e", type: type, created: 1, object: [:]).utf8))
            if let snapshot = try? EventSnapshot(event: event) {
                #expect(snapshot != .ignored, "\(type) is listed but ignored")
            }
        }
        var seen = 0
        for payload in try RealPayloads.events() {
            guard let event = try? StripeEvent.decode(Array(payload.body.utf8)) else { continue }
            if let snapshot = try? EventSnapshot(event: event), snapshot != .ignored {
                #expect(EventSnapshot.usedStripeTypes.contains(event.type), "\(event.type) is read but not listed")
                seen += 1
            }
        }
        #expect(seen > 20)
    }
}
