import AttributionCore
import AttributionStore
import AttributionTestSupport
import Foundation
import Testing

/// Promotion codes as a way in: a partner's code (by its metadata or an
/// administrator's mapping of its text) attributes the customers who use it,
/// through `customer.discount.*` events, discounts embedded in older snapshots
/// and Checkout sessions, whatever order the events arrive in.
@Suite("Promotion codes")
struct PromotionCodeTests {
    typealias E = EventFactory

    static func promotionCode(
        event: String, type: String = "promotion_code.created", created: Int, id: String,
        code: String, partner: String? = nil
    ) -> String {
        var metadata: [String: String] = [:]
        metadata["partner_key"] = partner
        return E.envelope(
            id: event, type: type, created: created,
            object: [
                "id": id, "object": "promotion_code", "code": code, "active": true, "created": created,
                "livemode": true, "metadata": metadata, "promotion": ["coupon": "co_1", "type": "coupon"],
                "times_redeemed": 0, "customer": NSNull(), "max_redemptions": NSNull(), "expires_at": NSNull(),
            ])
    }

    static func discount(
        event: String, type: String = "customer.discount.created", created: Int, customer: String?,
        promotionCode: Any
    ) -> String {
        E.envelope(
            id: event, type: type, created: created,
            object: [
                "id": "di_\(event)", "object": "discount", "customer": customer ?? NSNull(), "promotion_code": promotionCode,
                "source": ["coupon": "co_1", "type": "coupon"], "start": created, "end": NSNull(),
                "subscription": NSNull(), "invoice": NSNull(), "checkout_session": NSNull(),
            ])
    }

    func state(_ payloads: [String]) async throws -> AppDatabase {
        let db = try AppDatabase.makeEmpty()
        try await db.deliver(payloads)
        try await db.applyAll()
        #expect(try db.count("inbox_events", where: "status NOT IN ('applied', 'ignored')") == 0, "nothing failed or dead")
        return db
    }

    func partner(ofCustomer id: String, in db: AppDatabase) throws -> String? {
        try db.row("SELECT partner_key FROM customers WHERE stripe_customer_id = ?", [id])?["partner_key"]
    }

    @Test("a code whose metadata names a partner attributes the customer who used it and their charges, in every order")
    func metadataCode() async throws {
        let events = [
            Self.promotionCode(event: "pc1", created: 90, id: "promo_1", code: "ACME20", partner: "p_acme"),
            E.customer(event: "c1", created: 100, id: "cus_1", email: "buyer@x"),
            Self.discount(event: "d1", created: 101, customer: "cus_1", promotionCode: "promo_1"),
            E.charge(event: "ch1", created: 102, id: "ch_1", amount: 2000, customer: "cus_1"),
        ]
        var dumps: [[String: [String]]] = []
        for order in [events, events.reversed(), [events[2], events[0], events[3], events[1]]] {
            let db = try await state(order)
            #expect(try partner(ofCustomer: "cus_1", in: db) == "p_acme")
            #expect(try db.row("SELECT partner_key FROM attributed_transactions WHERE transaction_id = 'ch_1'")?["partner_key"] == "p_acme")
            #expect(try db.row("SELECT code, partner_key FROM promotion_codes") == ["code": "ACME20", "partner_key": "p_acme"])
            #expect(try db.count("partners", where: "partner_key = 'p_acme'") == 1, "the code's partner is known")
            dumps.append(try db.domainDump())
        }
        #expect(dumps.allSatisfy { $0 == dumps[0] }, "every order gives the same tables")
    }

    @Test("partners add --promotion-code maps a code's text to a partner; the code's own metadata wins over the mapping")
    func adminMapping() async throws {
        let db = try AppDatabase.makeEmpty()
        try await db.deliver([
            Self.promotionCode(event: "pc1", created: 90, id: "promo_1", code: "SPRING"),
            Self.promotionCode(event: "pc2", created: 90, id: "promo_2", code: "FALL", partner: "p_meta"),
            E.customer(event: "c1", created: 100, id: "cus_1"),
            E.customer(event: "c2", created: 100, id: "cus_2"),
            Self.discount(event: "d1", created: 101, customer: "cus_1", promotionCode: "promo_1"),
            Self.discount(event: "d2", created: 101, customer: "cus_2", promotionCode: "promo_2"),
        ])
        try await db.applyAll()
        #expect(try partner(ofCustomer: "cus_1", in: db) == "NULL", "an unmapped code without metadata is no partner's")
        try await db.recordPartner(
            key: "p_admin", name: "Admin", email: nil, promotionCodes: ["SPRING", "FALL", "spring"],
            settings: ApplySettings(), now: 1_800_000_000)
        #expect(try partner(ofCustomer: "cus_1", in: db) == "p_admin", "the mapping attributes the code's earlier customers")
        #expect(try partner(ofCustomer: "cus_2", in: db) == "p_meta", "metadata wins over the mapping")
        #expect(try db.promotionCodes(partner: "p_admin").codes == ["SPRING"])
        #expect(try db.promotionCodes(partner: "p_admin").waiting == ["spring"], "texts are case-sensitive")
        // The mapping is an admin event: a rebuild from the inbox keeps it.
        let before = try db.domainDump()
        try await db.rebuild(settings: ApplySettings(), now: 1_800_000_001)
        #expect(try db.domainDump() == before)
    }

    @Test(
        "Stripe's own promotion_code and discount objects, older and newer API shapes, through .updated events",
        arguments: ["2025-02-24.acacia", "2026-07-29.dahlia"])
    func fixtureShapes(version: String) async throws {
        var code = try Fixtures.json("openapi/promotion_code.acacia-dahlia.json")[version] as! [String: Any]
        code["id"] = "promo_fx"
        code["metadata"] = ["partner_key": "p_fx"]
        code["livemode"] = true
        var discount = try Fixtures.json("openapi/discount.acacia-dahlia.json")[version] as! [String: Any]
        discount["customer"] = "cus_fx"
        discount["promotion_code"] = "promo_fx"
        let events = [
            E.envelope(id: "pc1", type: "promotion_code.updated", created: 90, apiVersion: version, object: code),
            E.customer(event: "c1", created: 100, id: "cus_fx"),
            E.envelope(id: "d1", type: "customer.discount.updated", created: 101, apiVersion: version, object: discount),
        ]
        for order in [events, events.reversed()] {
            let db = try await state(order)
            #expect(try partner(ofCustomer: "cus_fx", in: db) == "p_fx")
            #expect(try db.row("SELECT code, livemode FROM promotion_codes") == ["code": "FALL20", "livemode": "1"])
        }
    }

    @Test("a code that changes hands moves the customers whose evidence it is")
    func codeChangesHands() async throws {
        let events = [
            Self.promotionCode(event: "pc1", created: 90, id: "promo_1", code: "X", partner: "p_old"),
            Self.promotionCode(event: "pc2", type: "promotion_code.updated", created: 200, id: "promo_1", code: "X", partner: "p_new"),
            E.customer(event: "c1", created: 100, id: "cus_1"),
            Self.discount(event: "d1", created: 101, customer: "cus_1", promotionCode: "promo_1"),
        ]
        for order in [events, events.reversed()] {
            let db = try await state(order)
            #expect(try partner(ofCustomer: "cus_1", in: db) == "p_new", "whose the code is, is judged on its newest snapshot")
        }
    }

    @Test("a signup for partner A before a discount with partner B's code keeps A, in both orders, and the conflict is counted")
    func crossChannelConflict() async throws {
        let events = [
            try LocalEvent.envelope(
                id: "signup_ann@x", type: LocalEvent.signupType, created: 50,
                object: LocalEvent.Signup(customerKey: "ann@x", partnerKey: "p_a")),
            E.customer(event: "c1", created: 100, id: "cus_1", key: "ann@x"),
            Self.promotionCode(event: "pc1", created: 90, id: "promo_1", code: "B", partner: "p_b"),
            Self.discount(event: "d1", created: 120, customer: "cus_1", promotionCode: "promo_1"),
        ]
        for order in [events, events.reversed()] {
            let db = try AppDatabase.makeEmpty()
            var conflicts = 0
            for payload in order {
                try await db.deliver([payload])
                conflicts += try await db.applyDue(limit: 10, settings: ApplySettings(), now: 1_800_000_000).conflicts.count
            }
            #expect(try partner(ofCustomer: "cus_1", in: db) == "p_a", "first by time")
            #expect(conflicts >= 1, "the losing channel is logged and counted")
        }
    }

    @Test("a discount embedded in an older customer, subscription or invoice snapshot, or among a session's discounts, is evidence")
    func embeddedDiscounts() async throws {
        let code = Self.promotionCode(event: "pc1", created: 90, id: "promo_1", code: "EMB", partner: "p_emb")
        let discount: [String: Any] = ["object": "discount", "promotion_code": "promo_1", "coupon": ["id": "co_1"]]
        func customer(_ n: Int) -> String { E.customer(event: "c\(n)", created: 100, id: "cus_\(n)") }
        var customerObject = try JSONSerialization.jsonObject(with: Data(customer(1).utf8)) as! [String: Any]
        var data = customerObject["data"] as! [String: Any]
        var object = data["object"] as! [String: Any]
        object["discount"] = discount
        data["object"] = object
        customerObject["data"] = data
        let embeddedCustomer = try E.serialize(customerObject)
        var subscription =
            try JSONSerialization.jsonObject(
                with: Data(
                    E.subscription(event: "s2", created: 110, id: "sub_2", customer: "cus_2").utf8)) as! [String: Any]
        var subData = subscription["data"] as! [String: Any]
        var subObject = subData["object"] as! [String: Any]
        subObject["discount"] = discount
        subData["object"] = subObject
        subscription["data"] = subData
        let session = try CheckoutSessionTests.session(event: "cs3", created: 110, customer: "cus_3")
        var sessionObject = try JSONSerialization.jsonObject(with: Data(session.utf8)) as! [String: Any]
        var sessionData = sessionObject["data"] as! [String: Any]
        var so = sessionData["object"] as! [String: Any]
        so["discounts"] = [
            [
                "coupon": NSNull(),
                "promotion_code": [
                    "id": "promo_1", "object": "promotion_code",
                    "code": "EMB", "metadata": ["partner_key": "p_emb"],
                    "livemode": true,
                ],
            ]
        ]
        sessionData["object"] = so
        sessionObject["data"] = sessionData
        let events = [
            code, embeddedCustomer, customer(2), try E.serialize(subscription), customer(3),
            try E.serialize(sessionObject),
        ]
        for order in [events, events.reversed()] {
            let db = try await state(order)
            #expect(try partner(ofCustomer: "cus_1", in: db) == "p_emb", "customer.discount (older API)")
            #expect(try partner(ofCustomer: "cus_2", in: db) == "p_emb", "subscription.discount (older API)")
            #expect(try partner(ofCustomer: "cus_3", in: db) == "p_emb", "checkout session discounts[].promotion_code")
            #expect(
                try db.row("SELECT partner_key FROM promotion_codes")?["partner_key"] == "p_emb",
                "an expanded code is a snapshot of the code too")
        }
    }

    @Test("a discount with an unknown code, without a customer or without a code is applied safely and gives no partner")
    func unknownCodes() async throws {
        let db = try AppDatabase.makeEmpty()
        try await db.deliver([
            E.customer(event: "c1", created: 100, id: "cus_1"),
            Self.discount(event: "d1", created: 101, customer: "cus_1", promotionCode: "promo_unknown"),
            Self.discount(event: "d2", created: 101, customer: nil, promotionCode: "promo_unknown"),
            Self.discount(event: "d3", created: 101, customer: "cus_1", promotionCode: NSNull()),
        ])
        let unresolved = try await db.applyDue(limit: 10, settings: ApplySettings(), now: 1_800_000_000).unresolved.map(\.kind)
        #expect(try db.count("inbox_events", where: "status = 'applied'") == 4)
        #expect(try partner(ofCustomer: "cus_1", in: db) == "NULL")
        #expect(unresolved.contains("promotion_code") && unresolved.contains("discount_without_customer"))
        // The code arrives later, naming a partner: the remembered discount now counts.
        try await db.deliver([Self.promotionCode(event: "pc1", created: 90, id: "promo_unknown", code: "LATE", partner: "p_late")])
        try await db.applyAll()
        #expect(try partner(ofCustomer: "cus_1", in: db) == "p_late")
    }
}
