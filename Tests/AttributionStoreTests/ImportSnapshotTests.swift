import AttributionCore
import AttributionStore
import AttributionTestSupport
import Foundation
import Testing

/// Stripe objects brought in by `import` (docs/import.md): each a snapshot event with
/// the effect of the event its state matches, dated by the import, merging
/// with webhooks under the usual order rules.
@Suite("Imported object snapshots")
struct ImportSnapshotTests {
    typealias E = EventFactory

    /// The `data.object` of an event built by `EventFactory`, as a list export would print it.
    static func object(_ event: String, _ change: (inout [String: Any]) -> Void = { _ in }) throws -> String {
        let json = try JSONSerialization.jsonObject(with: Data(event.utf8)) as! [String: Any]
        var object = (json["data"] as! [String: Any])["object"] as! [String: Any]
        change(&object)
        return try E.serialize(object)
    }

    /// Stores `objects` as `import` does, dated `asOf`; returns what each insert did.
    @discardableResult
    func importObjects(_ db: AppDatabase, _ objects: [String], asOf: Int64) async throws -> [InsertOutcome] {
        let events = try objects.map { NewInboxEvent(imported: try ImportedItem.read(Array($0.utf8), asOf: asOf), origin: .import) }
        return try await db.insert(events, receivedAt: 1_800_000_000)
    }

    func apply(_ db: AppDatabase, settings: ApplySettings = ApplySettings()) async throws {
        try await db.applyAll(settings: settings)
        #expect(try db.count("inbox_events", where: "status NOT IN ('applied', 'ignored')") == 0)
    }

    static let customer = E.customer(event: "e_c", created: 100, id: "cus_1", key: "k1", partner: "p_a", email: "new@x.test")

    @Test("an imported customer with metadata keys is attributed, and its charges count for the partner")
    func attributedCustomer() async throws {
        let db = try AppDatabase.makeEmpty()
        try await importObjects(db, [try Self.object(Self.customer)], asOf: 2_000)
        try await db.deliver([E.charge(event: "e_ch", created: 2_100, id: "ch_1", amount: 900, customer: "cus_1")])
        try await apply(db)
        #expect(try db.column("SELECT partner_key FROM customers WHERE stripe_customer_id = 'cus_1'") == ["p_a"])
        #expect(try db.column("SELECT partner_key FROM attributed_transactions WHERE transaction_id = 'ch_1'") == ["p_a"])
        #expect(
            try db.column("SELECT origin || ' ' || type FROM inbox_events ORDER BY seq")
                == ["import attributiond.import", "webhook charge.succeeded"])
    }

    @Test("an imported promotion code whose metadata names a partner attributes the customers who use it")
    func importedPromotionCode() async throws {
        let db = try AppDatabase.makeEmpty()
        let code = PromotionCodeTests.promotionCode(event: "e_pc", created: 50, id: "promo_1", code: "SAVE", partner: "p_code")
        try await importObjects(db, [try Self.object(code)], asOf: 2_000)
        try await db.deliver([
            E.customer(event: "e_c2", created: 2_100, id: "cus_2"),
            PromotionCodeTests.discount(event: "e_d", created: 2_200, customer: "cus_2", promotionCode: "promo_1"),
        ])
        try await apply(db)
        #expect(try db.column("SELECT partner_key FROM promotion_codes WHERE promotion_code_id = 'promo_1'") == ["p_code"])
        #expect(try db.column("SELECT partner_key FROM customers WHERE stripe_customer_id = 'cus_2'") == ["p_code"])
    }

    @Test("an older webhook arriving after the import does not override the snapshot; a newer one does")
    func snapshotAgainstWebhooks() async throws {
        let db = try AppDatabase.makeEmpty()
        try await importObjects(db, [try Self.object(Self.customer)], asOf: 2_000)
        try await apply(db)
        try await db.deliver([
            E.customer(
                event: "e_old", type: "customer.updated", created: 1_000, id: "cus_1", key: "k1",
                email: "old@x.test")
        ])
        try await apply(db)
        #expect(try db.column("SELECT email FROM customers WHERE stripe_customer_id = 'cus_1'") == ["new@x.test"])
        try await db.deliver([
            E.customer(
                event: "e_new", type: "customer.updated", created: 3_000, id: "cus_1", key: "k1",
                email: "newer@x.test")
        ])
        try await apply(db)
        #expect(try db.column("SELECT email FROM customers WHERE stripe_customer_id = 'cus_1'") == ["newer@x.test"])
    }

    @Test("the same object is one snapshot however it is formatted; a changed object is a new one")
    func idempotent() async throws {
        let db = try AppDatabase.makeEmpty()
        let compact = try Self.object(Self.customer)
        let reordered = try E.serialize(
            try JSONSerialization.jsonObject(with: Data(compact.utf8)) as! [String: Any],
            sortedKeys: false)
        let pretty = String(
            decoding: try JSONSerialization.data(
                withJSONObject: try JSONSerialization.jsonObject(with: Data(compact.utf8)), options: [.prettyPrinted]), as: UTF8.self)
        #expect(try await importObjects(db, [compact], asOf: 2_000) == [.stored])
        #expect(try await importObjects(db, [reordered, pretty], asOf: 5_000) == [.duplicate, .duplicate])
        let renamed = try Self.object(Self.customer) { $0["name"] = "Renamed" }
        #expect(try await importObjects(db, [renamed], asOf: 5_000) == [.stored])
    }

    @Test("a canceled subscription is a deletion; an active one is a subscription")
    func subscriptions() async throws {
        let db = try AppDatabase.makeEmpty()
        let active = try Self.object(E.subscription(event: "e1", created: 100, id: "sub_a", customer: "cus_1"))
        let canceled = try Self.object(
            E.subscription(
                event: "e2", created: 100, id: "sub_c", customer: "cus_1",
                status: "canceled"))
        try await importObjects(db, [active, canceled], asOf: 2_000)
        // An older update of the canceled one, delivered late, does not bring it back.
        try await db.deliver([
            E.subscription(
                event: "e3", type: "customer.subscription.updated", created: 1_500,
                id: "sub_c", customer: "cus_1")
        ])
        try await apply(db)
        #expect(try db.column("SELECT subscription_id || ' ' || status FROM subscriptions") == ["sub_a active"])
    }

    @Test("charge, dispute and complete checkout session objects have their events' effects")
    func chargesDisputesSessions() async throws {
        let db = try AppDatabase.makeEmpty()
        let charge = try Self.object(E.charge(event: "e", created: 100, id: "ch_1", amount: 5000, customer: "cus_9"))
        let dispute = try E.serialize([
            "id": "dp_1", "object": "dispute", "charge": "ch_1", "amount": 2000, "status": "needs_response",
            "livemode": true, "currency": "usd",
        ])
        let session = try E.serialize([
            "id": "cs_1", "object": "checkout.session", "status": "complete", "customer": "cus_9",
            "client_reference_id": "gspk_" + Data("p_b".utf8).base64EncodedString(), "livemode": true,
            "metadata": ["customer_key": "k9"],
        ])
        let open = try E.serialize([
            "id": "cs_2", "object": "checkout.session", "status": "open", "customer": "cus_8",
            "metadata": ["customer_key": "k8", "partner_key": "p_c"], "livemode": true,
        ])
        try await importObjects(db, [charge, dispute, session, open], asOf: 2_000)
        try await apply(db)
        #expect(
            try db.row("SELECT partner_key, amount_disputed, net_amount FROM attributed_transactions")
                == ["partner_key": "p_b", "amount_disputed": "2000", "net_amount": "3000"])
        #expect(try db.column("SELECT customer_key FROM customers ORDER BY customer_key") == ["k9"], "an open session links nothing")
        #expect(try db.column("SELECT status FROM inbox_events WHERE payload LIKE '%cs_2%'") == ["ignored"])
    }

    @Test("a paid invoice object records a transaction in invoice mode; an unpaid one is ignored")
    func invoices() async throws {
        let db = try AppDatabase.makeEmpty()
        let paid = try Self.object(
            E.invoice(
                event: "e", created: 100, id: "in_1", amountPaid: 4200, customer: "cus_1",
                partner: "p_a"))
        let draft = try Self.object(E.invoice(event: "e", created: 100, id: "in_2", amountPaid: 0, customer: "cus_1")) {
            $0["status"] = "draft"
        }
        try await importObjects(db, [paid, draft], asOf: 2_000)
        try await apply(db, settings: ApplySettings(transactionSource: .invoice))
        #expect(
            try db.column("SELECT transaction_id || ' ' || amount || ' ' || partner_key FROM attributed_transactions")
                == ["in_1 4200 p_a"])
    }

    @Test("events rebuild re-derives the tables imported snapshots made, mixed with webhooks, in any order")
    func rebuildAndOrder() async throws {
        let objects = [
            try Self.object(Self.customer),
            try Self.object(E.charge(event: "e", created: 100, id: "ch_1", amount: 700, customer: "cus_1")),
            try Self.object(E.subscription(event: "e", created: 100, id: "sub_1", customer: "cus_1")),
        ]
        let webhooks = [
            E.customer(
                event: "e_old", type: "customer.updated", created: 1_000, id: "cus_1", key: "k1",
                partner: "p_z", email: "old@x.test"),
            E.charge(
                event: "e_ref", type: "charge.refunded", created: 3_000, id: "ch_1", amount: 700,
                refunded: 200, customer: "cus_1"),
        ]
        let first = try AppDatabase.makeEmpty()
        try await importObjects(first, objects, asOf: 2_000)
        try await first.deliver(webhooks)
        try await apply(first)
        let second = try AppDatabase.makeEmpty()
        try await second.deliver(webhooks.reversed())
        try await apply(second)
        try await importObjects(second, objects.reversed(), asOf: 2_000)
        try await apply(second)
        let tables = try first.domainDump()
        #expect(try second.domainDump() == tables)
        #expect(try first.column("SELECT amount_refunded FROM transactions") == ["200"], "the newer refund wins")
        #expect(try first.column("SELECT email FROM customers") == ["new@x.test"], "the older webhook does not")
        _ = try first.rebuild(settings: ApplySettings(), now: 1_800_000_000)
        #expect(try first.domainDump() == tables)
    }

    @Test(
        "items that are not Events or known objects, or lack what they need, are refused with a reason",
        arguments: [
            (#"{"object":"plan","id":"plan_1"}"#, "neither an Event nor a known Stripe object (object: 'plan')"),
            (#"{"id":"x"}"#, "neither an Event nor a known Stripe object (object: missing)"),
            (#"{"object":"customer"}"#, "a customer without an id"),
            (#"{"object":"list","data":{"id":"x"}}"#, "a list page whose data is not an array"),
            (
                #"{"object":"event","id":"evt_1","type":"charge.succeeded","created":1,"data":{}}"#,
                "event evt_1 without data.object"
            ),
            (#"{"object":"charge","id":"ch_1","currency":"usd"}"#, "charge ch_1: cannot read event: missing or invalid charge amount"),
            (#"[1]"#, "not a JSON object"),
            (#"{"object":"customer","id":"cus_1","name":"\#u{1}"}"#, "broken JSON"),
        ])
    func refused(item: String, why: String) throws {
        #expect(throws: ImportItemError.self) { try ImportedItem.read(Array(item.utf8), asOf: 1) }
        do { _ = try ImportedItem.read(Array(item.utf8), asOf: 1) } catch {
            #expect(error.description.hasPrefix(why), "\(error.description)")
        }
    }

    @Test("an Event item is stored as delivered: its own id, type and time")
    func eventItem() throws {
        let payload = E.charge(event: "evt_9", created: 1234, id: "ch_9", amount: 10)
        let item = try ImportedItem.read(Array(payload.utf8), asOf: 99)
        #expect(item.kind == .event && item.event.id == "evt_9" && item.event.type == "charge.succeeded")
        #expect(item.event.created == 1234 && item.payload == payload)
    }
}
