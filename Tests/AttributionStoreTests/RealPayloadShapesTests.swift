import AttributionCore
import AttributionStore
import AttributionTestSupport
import Foundation
import Testing

/// The two shapes from `Tests/Fixtures/real-payloads/` that the daemon once got
/// wrong, each applied from the real payload.
@Suite("Shapes from real payloads")
struct RealPayloadShapesTests {
    /// The body with `edit` applied to its parsed event.
    func edited(_ body: String, _ edit: (inout [String: Any]) -> Void) throws -> String {
        var event = try JSONSerialization.jsonObject(with: Data(body.utf8)) as! [String: Any]
        edit(&event)
        return try EventFactory.serialize(event)
    }

    @Test("a 2014-06-17 subscription without items is priced by its top-level plan × quantity (jsbin)")
    func subscriptionWithoutItems() async throws {
        let db = try AppDatabase.makeEmpty()
        let event = try RealPayloads.event("jsbin", 0)
        #expect(event.apiVersion == "2014-06-17")
        #expect(try RealPayloads.object("jsbin", 0)["items"] == nil, "the payload has no items list")
        try await db.deliver([event.body])
        try await db.applyAll()
        let s = try #require(try db.row("SELECT * FROM subscriptions"))
        #expect(s["subscription_id"] == "sub_XXXXXXXXX")
        #expect(s["amount"] == "9999")
        #expect(s["currency"] == "gbp")
        #expect(s["price_id"] == "yearly3")
        #expect(s["interval"] == "year")
        #expect(s["status"] == "active")
        #expect(s["current_period_end"] == "2017-08-12T16:20:52Z")
        #expect(s["livemode"] == "1")
    }

    @Test("a subscription without items and quantity 3 counts the plan three times")
    func subscriptionWithoutItemsQuantity() async throws {
        let db = try AppDatabase.makeEmpty()
        let body = try edited(RealPayloads.event("jsbin", 0).body) { event in
            var data = event["data"] as! [String: Any]
            var object = data["object"] as! [String: Any]
            object["quantity"] = 3
            data["object"] = object
            event["data"] = data
        }
        try await db.deliver([body])
        try await db.applyAll()
        #expect(try db.column("SELECT amount FROM subscriptions") == ["29997"])
    }

    /// stripe-sync-engine's `customer.updated` (#7) and its `customer.deleted`
    /// stub (#8), both sent at the same second, in live mode and with a customer key.
    func customerAndStub() throws -> (update: String, stub: String) {
        let live: (inout [String: Any]) -> Void = { event in
            event["livemode"] = true
            var data = event["data"] as! [String: Any]
            var object = data["object"] as! [String: Any]
            if object["email"] != nil {
                object["livemode"] = true
                object["metadata"] = ["customer_key": "org-35"]
            }
            data["object"] = object
            event["data"] = data
        }
        let update = try edited(RealPayloads.event("stripe-sync-engine", 7).body, live)
        let stub = try edited(RealPayloads.event("stripe-sync-engine", 8).body, live)
        #expect(try RealPayloads.object("stripe-sync-engine", 8).keys.sorted() == ["deleted", "id", "object"])
        return (update, stub)
    }

    @Test(
        "a customer.deleted stub sets deleted_at and keeps the last known details, in either order",
        arguments: [false, true])
    func deletionStubKeepsDetails(stubFirst: Bool) async throws {
        let db = try AppDatabase.makeEmpty()
        let (update, stub) = try customerAndStub()
        for body in stubFirst ? [stub, update] : [update, stub] {
            try await db.deliver([body])
            try await db.applyAll()
        }
        let c = try #require(try db.row("SELECT * FROM customers"))
        #expect(c["stripe_customer_id"] == "cus_IhGfebO16cMIGN")
        #expect(c["email"] == "billz@supabase.io")
        #expect(c["name"] == "Copple")
        #expect(c["customer_key"] == "org-35")
        #expect(c["livemode"] == "1")
        #expect(c["deleted_at"] == "2021-04-29T12:58:31Z")
        #expect(c["updated_at"] == "2021-04-29T12:58:31Z")
        #expect(try db.count("customers") == 1)
    }

    @Test("a customer.deleted stub alone keeps a customer row with deleted_at and no details")
    func deletionStubAlone() async throws {
        let db = try AppDatabase.makeEmpty()
        try await db.deliver([try customerAndStub().stub])
        try await db.applyAll()
        let c = try #require(try db.row("SELECT * FROM customers"))
        #expect(c["stripe_customer_id"] == "cus_IhGfebO16cMIGN")
        #expect(c["email"] == "NULL" && c["name"] == "NULL")
        #expect(c["deleted_at"] == "2021-04-29T12:58:31Z")
        #expect(c["updated_at"] == "2021-04-29T12:58:31Z")
        #expect(c["livemode"] == "1")
    }

    @Test("a deletion that carries the customer's fields is a snapshot like any other (pay's customer.deleted)")
    func fullDeletion() async throws {
        let db = try AppDatabase.makeEmpty()
        let update = try edited(RealPayloads.event("pay", 4).body) { event in
            event["id"] = "evt_rp_pay_4_earlier"
            event["type"] = "customer.updated"
            event["created"] = 1_546_497_000
            var data = event["data"] as! [String: Any]
            var object = data["object"] as! [String: Any]
            object["email"] = "before@example.com"
            data["object"] = object
            event["data"] = data
        }
        try await db.deliver([RealPayloads.event("pay", 4).body, update])
        try await db.applyAll()
        let c = try #require(try db.row("SELECT * FROM customers"))
        #expect(c["email"] == "NULL", "the later deletion's own email (null) wins")
        #expect(c["deleted_at"] == "2019-01-03T06:43:28Z")
    }
}
