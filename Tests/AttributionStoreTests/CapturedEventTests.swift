import AttributionCore
import AttributionStore
import AttributionTestSupport
import Foundation
import Testing

/// One test per captured Stripe event type (stripe-ruby-mock, 2020-08-27), each
/// given a unique id and attribution metadata, asserting the rows it produces.
@Suite("Captured Stripe events become rows")
struct CapturedEventTests {
    let db = try! AppDatabase.makeEmpty()
    let keys = ["customer_key": "alice@example.com", "partner_key": "p_acme", "product_key": "pro"]

    func apply(_ payloads: String..., settings: ApplySettings = ApplySettings()) async throws {
        try await db.deliver(payloads)
        try await db.applyAll(settings: settings)
    }

    @Test("customer.created: the customer with key, Stripe id, partner and test mode; the partner from Stripe")
    func customerCreated() async throws {
        try await apply(
            Fixtures.capturedEvent(
                "customer.created", id: "evt_c1", created: 100, objectID: "cus_A",
                metadata: keys, object: ["email": "alice@example.com"]))
        let c = try #require(try db.row("SELECT * FROM customers"))
        #expect(c["customer_key"] == "alice@example.com")
        #expect(c["stripe_customer_id"] == "cus_A")
        #expect(c["partner_key"] == "p_acme")
        #expect(c["email"] == "alice@example.com")
        #expect(c["livemode"] == "0")
        #expect(c["deleted_at"] == "NULL")
        #expect(try db.row("SELECT source FROM partners WHERE partner_key = 'p_acme'")?["source"] == "stripe")
        #expect(try db.inboxRow(eventId: "evt_c1")?.status == .applied)
    }

    @Test("customer.updated: a newer snapshot updates the email; an older one does not")
    func customerUpdated() async throws {
        try await apply(
            Fixtures.capturedEvent("customer.created", id: "evt_c1", created: 100, objectID: "cus_A", object: ["email": "old@x"]),
            Fixtures.capturedEvent("customer.updated", id: "evt_c2", created: 200, objectID: "cus_A", object: ["email": "new@x"]),
            Fixtures.capturedEvent("customer.updated", id: "evt_c3", created: 150, objectID: "cus_A", object: ["email": "mid@x"]))
        #expect(try db.column("SELECT email FROM customers") == ["new@x"])
    }

    @Test("customer.deleted: the customer is kept, with deleted_at")
    func customerDeleted() async throws {
        try await apply(
            Fixtures.capturedEvent("customer.created", id: "evt_c1", created: 100, objectID: "cus_A", metadata: keys),
            Fixtures.capturedEvent("customer.deleted", id: "evt_c2", created: 300, objectID: "cus_A", metadata: keys))
        let c = try #require(try db.row("SELECT * FROM customers"))
        #expect(c["deleted_at"] == "1970-01-01T00:05:00Z")
        #expect(c["partner_key"] == "p_acme")
    }

    @Test("charge.succeeded: one transaction keyed by the charge id, with its keys")
    func chargeSucceeded() async throws {
        try await apply(Fixtures.capturedEvent("charge.succeeded", id: "evt_ch1", created: 100, objectID: "ch_1", metadata: keys))
        let t = try #require(try db.row("SELECT * FROM attributed_transactions"))
        #expect(t["transaction_id"] == "ch_1")
        #expect(t["source"] == "charge")
        #expect(t["amount"] == "2000")
        #expect(t["currency"] == "usd")
        #expect(t["product_key"] == "pro")
        #expect(t["partner_key"] == "p_acme")
        #expect(t["net_amount"] == "2000")
        // The unseen customer key created the customer, with the charge's partner.
        #expect(try db.row("SELECT partner_key FROM customers WHERE customer_key = 'alice@example.com'")?["partner_key"] == "p_acme")
    }

    @Test("charge.captured: the captured amount")
    func chargeCaptured() async throws {
        try await apply(
            Fixtures.capturedEvent(
                "charge.captured", id: "evt_ch1", created: 100, objectID: "ch_1",
                object: ["amount": 150, "amount_captured": 100]))
        #expect(try db.column("SELECT amount FROM transactions") == ["100"])
    }

    @Test("charge.refunded in full: no transaction, and a late charge.succeeded cannot bring it back")
    func chargeRefunded() async throws {
        try await apply(
            Fixtures.capturedEvent("charge.refunded", id: "evt_r", created: 200, objectID: "ch_1"),
            Fixtures.capturedEvent("charge.succeeded", id: "evt_s", created: 100, objectID: "ch_1", object: ["amount": 100]))
        #expect(try db.count("transactions") == 0)
    }

    @Test("charge.failed: no transaction, and the failure stays")
    func chargeFailed() async throws {
        try await apply(
            Fixtures.capturedEvent("charge.failed", id: "evt_f", created: 100, objectID: "ch_1"),
            Fixtures.capturedEvent("charge.succeeded", id: "evt_s", created: 200, objectID: "ch_1"))
        #expect(try db.count("transactions") == 0)
    }

    @Test("customer.subscription.created/updated: the subscription mirrors the newest snapshot (old shape)")
    func subscriptions() async throws {
        try await apply(
            Fixtures.capturedEvent("customer.subscription.created", id: "evt_s1", created: 100, objectID: "sub_1"),
            Fixtures.capturedEvent(
                "customer.subscription.updated", id: "evt_s2", created: 100, objectID: "sub_1",
                object: ["cancel_at_period_end": true]))
        let s = try #require(try db.row("SELECT * FROM subscriptions"))
        #expect(s["status"] == "active")
        #expect(s["cancel_at_period_end"] == "1")
        #expect(s["current_period_end"] == Timestamp.iso(1_650_998_505))
        #expect(s["stripe_customer_id"] == "cus_00000000000000")
        #expect(s["interval"] == "month")
        #expect(try db.count("transactions") == 0, "a subscription never creates a transaction")
    }

    @Test("customer.subscription.deleted: removed, and an older update does not bring it back")
    func subscriptionDeleted() async throws {
        try await apply(
            Fixtures.capturedEvent("customer.subscription.deleted", id: "evt_s3", created: 300, objectID: "sub_1"),
            Fixtures.capturedEvent("customer.subscription.updated", id: "evt_s2", created: 200, objectID: "sub_1"))
        #expect(try db.count("subscriptions") == 0)
    }

    @Test(
        "invoice.paid and invoice.payment_succeeded: one invoice transaction in invoice mode, none in charge mode",
        arguments: ["invoice.paid", "invoice.payment_succeeded"])
    func invoices(_ type: String) async throws {
        let invoice = try Fixtures.capturedEvent(type, id: "evt_i", created: 100, objectID: "in_1", metadata: keys)
        let charge = try Fixtures.capturedEvent("charge.succeeded", id: "evt_ch", created: 100, objectID: "ch_000000000000000000000000")
        try await apply(invoice, charge, settings: ApplySettings(transactionSource: .invoice))
        let rows = try db.column("SELECT transaction_id || ':' || source || ':' || amount FROM transactions")
        #expect(rows == ["in_1:invoice:2000"], "the invoice's charge is not counted twice")

        let chargeMode = try AppDatabase.makeEmpty()
        try await chargeMode.deliver([invoice, charge])
        try await chargeMode.applyAll()
        #expect(try chargeMode.column("SELECT transaction_id FROM transactions") == ["ch_000000000000000000000000"])
    }

    @Test("an unknown event type is kept and marked ignored")
    func ignored() async throws {
        try await apply(EventFactory.envelope(id: "evt_x", type: "payout.paid", created: 1, object: ["id": "po_1"]))
        #expect(try db.inboxRow(eventId: "evt_x")?.status == .ignored)
    }
}
