import AttributionCore
import AttributionStore
import Testing

/// `publicRow`: what `sqlite3` would show for one row, by the table's key.
@Suite struct PublicRowTests {
    @Test func readsARowAsTextAndNilWhenAbsent() async throws {
        let database = try AppDatabase.makeEmpty()
        let body = #"{"id":"evt_1","type":"ping","created":1700000000,"livemode":false,"data":{"object":{"id":"x"}}}"#
        let event = try StripeEvent.decode(Array(body.utf8))
        _ = try await database.insert([NewInboxEvent(event: event, payload: body)], receivedAt: 1_700_000_001)
        let row = try #require(try database.publicRow(.inboxEvents, key: "evt_1"))
        #expect(row["type"] == .some("ping"))
        #expect(row["livemode"] == .some("0"))
        #expect(row["status"] == .some("pending"))
        #expect(row["applied_at"] == .some(nil))
        #expect(try database.publicRow(.inboxEvents, key: "evt_2") == nil)
        #expect(try database.publicRow(.customers, key: "cus_nobody") == nil)
    }
}
