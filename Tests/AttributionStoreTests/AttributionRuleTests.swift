import AttributionCore
import AttributionStore
import AttributionTestSupport
import Foundation
import Testing

/// The attribution rules of docs/derivation.md and docs/events.md, each on the smallest set of events that shows it.
@Suite("Attribution rules")
struct AttributionRuleTests {
    let db = try! AppDatabase.makeEmpty()
    typealias E = EventFactory

    func apply(_ payloads: [String], settings: ApplySettings = ApplySettings()) async throws {
        try await db.deliver(payloads)
        try await db.applyAll(settings: settings)
    }

    func signup(_ key: String, partner: String, at: Int64) throws -> String {
        try LocalEvent.envelope(
            id: "signup_\(key)", type: LocalEvent.signupType, created: at,
            object: LocalEvent.Signup(customerKey: key, partnerKey: partner, email: key))
    }

    @Test("a customer first created by a signup is linked to its Stripe customer, not duplicated")
    func signupLinks() async throws {
        try await apply([
            try signup("bob@x", partner: "p_one", at: 50),
            E.customer(event: "e1", created: 100, id: "cus_B", key: "bob@x", email: "bob@stripe"),
        ])
        #expect(try db.count("customers") == 1)
        let c = try #require(try db.row("SELECT * FROM customers"))
        #expect(c["stripe_customer_id"] == "cus_B")
        #expect(c["partner_key"] == "p_one")
        #expect(c["email"] == "bob@stripe")
        #expect(c["created_at"] == Timestamp.iso(50))
        #expect(try db.row("SELECT source FROM partners")?["source"] == "signup")
    }

    @Test("the earliest partner key by event time wins, whatever the arrival order; the other is a conflict")
    func firstByTime() async throws {
        try await apply([
            E.customer(event: "e2", type: "customer.updated", created: 200, id: "cus_A", key: "a", partner: "p_late"),
            E.customer(event: "e1", created: 100, id: "cus_A", key: "a", partner: "p_early"),
        ])
        #expect(try db.column("SELECT partner_key FROM customers") == ["p_early"])
        #expect(try db.count("partners") == 2, "both partners are known")
    }

    @Test("a charge's partner key decides only when its customer is unknown")
    func chargePartner() async throws {
        try await apply([
            E.customer(event: "e1", created: 100, id: "cus_A", key: "a", partner: "p_cust"),
            E.charge(event: "e2", created: 200, id: "ch_known", amount: 1000, customer: "cus_A", partner: "p_charge"),
            E.charge(event: "e3", created: 200, id: "ch_anon", amount: 500, partner: "p_charge"),
        ])
        let rows = try db.column("SELECT transaction_id || '=' || ifnull(partner_key, '-') FROM attributed_transactions ORDER BY 1")
        #expect(rows == ["ch_anon=p_charge", "ch_known=p_cust"])
    }

    @Test("a charge whose Stripe customer arrives later joins it and counts for its partner")
    func lateCustomer() async throws {
        try await apply([E.charge(event: "e1", created: 100, id: "ch_1", amount: 1000, customer: "cus_L")])
        #expect(try db.column("SELECT partner_key FROM attributed_transactions") == [nil])
        try await apply([E.customer(event: "e2", created: 90, id: "cus_L", key: "l", partner: "p_l")])
        #expect(try db.column("SELECT partner_key FROM attributed_transactions") == ["p_l"])
    }

    @Test("a charge with a new customer key and a Stripe customer links both")
    func chargeLinksKeyAndCustomer() async throws {
        try await apply([
            E.charge(event: "e1", created: 100, id: "ch_1", amount: 1000, customer: "cus_K", key: "k@x", partner: "p_k"),
            E.customer(event: "e2", created: 110, id: "cus_K", email: "k@x"),
        ])
        #expect(try db.count("customers") == 1)
        #expect(try db.row("SELECT * FROM customers")?["customer_key"] == "k@x")
        #expect(try db.row("SELECT * FROM customers")?["partner_key"] == "p_k")
    }

    @Test("a key seen on two Stripe customers belongs to the one whose own metadata names it; the other stands alone")
    func keyOnTwoCustomers() async throws {
        // The charge names the key first (earlier, on cus_A); cus_B's customer object names it later.
        let events = [
            E.charge(event: "e1", created: 100, id: "ch_1", amount: 1000, customer: "cus_A", key: "k@x"),
            E.customer(event: "e2", created: 200, id: "cus_A", email: "a@x"),
            E.customer(event: "e3", created: 300, id: "cus_B", key: "k@x", email: "b@x"),
        ]
        for order in [events, events.reversed()] {
            let db = try AppDatabase.makeEmpty()
            try await db.deliver(order)
            try await db.applyAll(settings: ApplySettings())
            let rows = try db.column(
                """
                SELECT ifnull(customer_key, '-') || '=' || stripe_customer_id FROM customers ORDER BY stripe_customer_id
                """)
            #expect(rows == ["-=cus_A", "k@x=cus_B"])
        }
    }

    @Test("a charge with a customer key not seen before creates that customer, even without a partner")
    func chargeCreatesCustomer() async throws {
        try await apply([E.charge(event: "e1", created: 100, id: "ch_1", amount: 1000, key: "walkin@x")])
        #expect(try db.column("SELECT customer_key FROM customers") == ["walkin@x"])
    }

    @Test("a partial refund prorates by default and deletes in PartnerStack mode")
    func partialRefunds() async throws {
        let events = [
            E.charge(event: "e1", created: 100, id: "ch_1", amount: 1000, partner: "p"),
            E.charge(event: "e2", type: "charge.refunded", created: 200, id: "ch_1", amount: 1000, refunded: 300, partner: "p"),
        ]
        try await apply(events)
        #expect(
            try db.row("SELECT amount_refunded, net_amount FROM attributed_transactions")
                == ["amount_refunded": "300", "net_amount": "700"])
        try db.rebuild(settings: ApplySettings(partialRefunds: .delete), now: 1)
        #expect(try db.count("transactions") == 0)
    }

    @Test("amount_refunded only grows: an older partial refund after a newer one changes nothing")
    func refundsGrow() async throws {
        try await apply([
            E.charge(event: "e3", type: "charge.refunded", created: 300, id: "ch_1", amount: 1000, refunded: 600),
            E.charge(event: "e2", type: "charge.refunded", created: 200, id: "ch_1", amount: 1000, refunded: 200),
            E.charge(event: "e1", created: 100, id: "ch_1", amount: 1000),
        ])
        #expect(try db.column("SELECT amount_refunded FROM transactions") == ["600"])
    }

    @Test("invoice mode, 2025+ API: invoice_payment.paid ties the charge to the invoice; its refund reduces the invoice")
    func invoiceModeNewAPI() async throws {
        let settings = ApplySettings(transactionSource: .invoice)
        try await apply(
            [
                E.charge(event: "e1", created: 100, id: "ch_1", amount: 3000, customer: "cus_I", paymentIntent: "pi_1"),
                E.charge(event: "e0", created: 100, id: "ch_oneoff", amount: 700, customer: "cus_I"),
            ], settings: settings)
        #expect(try db.count("transactions") == 2, "before the link, the charge looks like a one-off payment")
        try await apply(
            [
                E.invoice(
                    event: "e2", created: 101, id: "in_1", amountPaid: 3000, customer: "cus_I",
                    subscriptionMetadata: ["partner_key": "p_sub", "product_key": "plan"]),
                E.invoicePayment(event: "e3", created: 101, invoice: "in_1", paymentIntent: "pi_1"),
                E.charge(
                    event: "e4", type: "charge.refunded", created: 200, id: "ch_1", amount: 3000, refunded: 1000,
                    customer: "cus_I", paymentIntent: "pi_1"),
            ], settings: settings)
        let rows = try db.column(
            """
            SELECT transaction_id || ':' || amount || ':' || amount_refunded || ':' || ifnull(product_key, '-')
            FROM transactions ORDER BY 1
            """)
        #expect(rows == ["ch_oneoff:700:0:-", "in_1:3000:1000:plan"])
        #expect(
            try db.column("SELECT partner_key FROM transactions WHERE transaction_id = 'in_1'") == ["p_sub"],
            "keys fall back to the subscription details' metadata")
    }

    @Test("invoice mode: a zero amount_paid records nothing; a full refund of its charge deletes it")
    func invoiceZeroAndRefund() async throws {
        let settings = ApplySettings(transactionSource: .invoice)
        try await apply(
            [
                E.invoice(event: "e1", created: 100, id: "in_0", amountPaid: 0, customer: "cus_I"),
                E.invoice(event: "e2", created: 100, id: "in_1", amountPaid: 2000, customer: "cus_I", charge: "ch_1"),
                E.charge(event: "e3", type: "charge.refunded", created: 200, id: "ch_1", amount: 2000, refunded: 2000, invoice: "in_1"),
            ], settings: settings)
        #expect(try db.count("transactions") == 0)
    }

    @Test("livemode is kept on every row")
    func livemode() async throws {
        try await apply([
            E.customer(event: "e1", created: 100, id: "cus_T", key: "t", livemode: false),
            E.charge(event: "e2", created: 100, id: "ch_T", amount: 100, customer: "cus_T", livemode: false),
        ])
        #expect(try db.column("SELECT livemode FROM customers") == ["0"])
        #expect(try db.column("SELECT livemode FROM transactions") == ["0"])
    }

    @Test("a poison event between good ones ends dead with its error; the good ones apply")
    func poison() async throws {
        let good1 = E.charge(event: "e1", created: 100, id: "ch_1", amount: 100)
        let poison = E.envelope(id: "e_bad", type: "charge.succeeded", created: 100, object: ["id": "ch_bad", "amount": "lots"])
        let good2 = E.customer(event: "e3", created: 100, id: "cus_1", key: "k")
        try await db.deliver([good1, poison, good2])
        var now: Int64 = 1_800_000_000
        for _ in 0..<10 {
            _ = try await db.applyDue(settings: ApplySettings(), retry: RetryPolicy(maxAttempts: 3, baseDelay: 1), now: now)
            now += 3600
        }
        #expect(try db.inboxRow(eventId: "e1")?.status == .applied)
        #expect(try db.inboxRow(eventId: "e3")?.status == .applied)
        let bad = try #require(try db.inboxRow(eventId: "e_bad"))
        #expect(bad.status == .dead)
        #expect(bad.attempts == 3)
        #expect(bad.lastError?.contains("charge amount") == true)
        #expect(try db.count("transactions") == 1)
        #expect(try db.count("customers") == 1)
    }

    @Test("a failed event waits for its backoff before the next attempt")
    func backoff() async throws {
        try await db.deliver([E.envelope(id: "e_bad", type: "customer.created", created: 1, object: ["email": "no id"])])
        _ = try await db.applyDue(settings: ApplySettings(), now: 1000)
        let failed = try #require(try db.inboxRow(eventId: "e_bad"))
        #expect(failed.status == .failed)
        #expect(failed.nextAttemptAt == Timestamp.iso(1002))
        #expect(try await db.applyDue(settings: ApplySettings(), now: 1001).processed == 0)
        #expect(try await db.applyDue(settings: ApplySettings(), now: 1002).processed == 1)
        #expect(try db.inboxRow(eventId: "e_bad")?.nextAttemptAt == Timestamp.iso(1006))
    }
}
