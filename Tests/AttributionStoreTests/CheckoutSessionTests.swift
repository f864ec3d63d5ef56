import AttributionCore
import AttributionStore
import AttributionTestSupport
import Foundation
import Testing

/// Checkout sessions and Payment Links (`checkout.session.completed`,
/// `checkout.session.async_payment_succeeded`), and subscription metadata:
/// attribution without code on the business's side.
@Suite("Checkout sessions and subscription metadata")
struct CheckoutSessionTests {
    typealias E = EventFactory

    static func session(
        event: String, type: String = "checkout.session.completed", created: Int, customer: String?,
        reference: String? = nil, metadata: [String: String] = [:],
        version: String = "2026-07-29.dahlia"
    ) throws -> String {
        var object = try Fixtures.json("openapi/checkout_session.acacia-dahlia.json")[version] as! [String: Any]
        object["id"] = "cs_\(event)"
        object["customer"] = customer ?? NSNull()
        object["client_reference_id"] = reference ?? NSNull()
        object["metadata"] = metadata
        object["status"] = "complete"
        object["livemode"] = true
        return E.envelope(id: event, type: type, created: created, apiVersion: version, object: object)
    }

    static func gspk(_ partner: String) -> String { "gspk_" + Data(partner.utf8).base64EncodedString() }

    func state(_ payloads: [String]) async throws -> AppDatabase {
        let db = try AppDatabase.makeEmpty()
        try await db.deliver(payloads)
        try await db.applyAll()
        #expect(try db.count("inbox_events", where: "status NOT IN ('applied', 'ignored')") == 0, "nothing failed or dead")
        return db
    }

    func partner(of transaction: String, in db: AppDatabase) throws -> String? {
        try db.row("SELECT partner_key FROM attributed_transactions WHERE transaction_id = ?", [transaction])?["partner_key"]
    }

    @Test(
        "a Payment Link sale with client_reference_id=gspk_… is attributed, in any order and both API shapes",
        arguments: ["2025-02-24.acacia", "2026-07-29.dahlia"])
    func paymentLinkReference(version: String) async throws {
        let events = [
            try Self.session(event: "cs1", created: 100, customer: "cus_1", reference: Self.gspk("p_link"), version: version),
            E.customer(event: "c1", created: 100, id: "cus_1", email: "buyer@x"),
            E.charge(event: "ch1", created: 101, id: "ch_1", amount: 2500, customer: "cus_1"),
        ]
        for order in [events, events.reversed()] {
            let db = try await state(order)
            #expect(try partner(of: "ch_1", in: db) == "p_link")
            #expect(
                try db.row("SELECT partner_key, customer_key FROM customers") == ["partner_key": "p_link", "customer_key": "NULL"],
                "a gspk_ reference is never taken as a customer key")
            #expect(try db.count("transactions") == 1, "the session itself creates no transaction")
        }
    }

    @Test("metadata.customer_key (or a plain client_reference_id) links the session's customer; metadata.partner_key attributes it")
    func metadataKeys() async throws {
        let db = try await state([
            try Self.session(
                event: "cs1", type: "checkout.session.async_payment_succeeded", created: 100, customer: "cus_1",
                metadata: ["customer_key": "ann@x", "partner_key": "p_meta"]),
            try Self.session(event: "cs2", created: 100, customer: "cus_2", reference: "bob@x"),
            E.customer(event: "c1", created: 90, id: "cus_1"),
            E.customer(event: "c2", created: 90, id: "cus_2"),
        ])
        #expect(
            try db.row("SELECT customer_key, partner_key FROM customers WHERE stripe_customer_id = 'cus_1'")
                == ["customer_key": "ann@x", "partner_key": "p_meta"])
        #expect(try db.row("SELECT customer_key FROM customers WHERE stripe_customer_id = 'cus_2'")?["customer_key"] == "bob@x")
    }

    @Test("a gspk_ reference that does not decode, or a session without a customer, gives no evidence and is applied")
    func badReferences() async throws {
        for reference in ["gspk_", "gspk_!!!", "gspk_" + Data([0xff, 0xfe]).base64EncodedString()] {
            let db = try await state([
                try Self.session(event: "cs1", created: 100, customer: "cus_1", reference: reference),
                E.customer(event: "c1", created: 90, id: "cus_1"),
            ])
            #expect(
                try db.row("SELECT partner_key, customer_key FROM customers") == ["partner_key": "NULL", "customer_key": "NULL"],
                "\(reference)")
        }
        let db = try await state([try Self.session(event: "cs1", created: 100, customer: nil, reference: Self.gspk("p_x"))])
        #expect(try db.count("customers") == 0 && db.count("partners") == 0)
    }

    @Test("subscription metadata is evidence for its customer, like the customer's own")
    func subscriptionMetadata() async throws {
        var sub =
            try JSONSerialization.jsonObject(
                with: Data(
                    E.subscription(event: "s1", created: 100, id: "sub_1", customer: "cus_1").utf8)) as! [String: Any]
        var data = sub["data"] as! [String: Any]
        var object = data["object"] as! [String: Any]
        object["metadata"] = ["customer_key": "carl@x", "partner_key": "p_sub"]
        data["object"] = object
        sub["data"] = data
        let db = try await state([try E.serialize(sub), E.customer(event: "c1", created: 90, id: "cus_1")])
        #expect(try db.row("SELECT customer_key, partner_key FROM customers") == ["customer_key": "carl@x", "partner_key": "p_sub"])
    }

    @Test("across channels the earliest partner wins: a signup for A before a session for B keeps A, whatever the arrival order")
    func conflictAcrossChannels() async throws {
        let signup = try LocalEvent.envelope(
            id: "signup_dan", type: LocalEvent.signupType, created: 50,
            object: LocalEvent.Signup(customerKey: "dan@x", partnerKey: "p_a"))
        let session = try Self.session(
            event: "cs1", created: 100, customer: "cus_1", reference: Self.gspk("p_b"),
            metadata: ["customer_key": "dan@x"])
        let customer = E.customer(event: "c1", created: 90, id: "cus_1")
        for order in [[signup, session, customer], [customer, session, signup]] {
            let db = try AppDatabase.makeEmpty()
            var conflicts = 0
            for payload in order {
                try await db.deliver([payload])
                conflicts += try await db.applyDue(limit: 10, settings: ApplySettings(), now: 1_800_000_000).conflicts.count
            }
            #expect(try db.row("SELECT partner_key FROM customers")?["partner_key"] == "p_a")
            #expect(conflicts >= 1, "the later partner is logged and counted as a conflict")
        }
    }
}
