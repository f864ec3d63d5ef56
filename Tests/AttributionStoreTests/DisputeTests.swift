import AttributionCore
import AttributionStore
import AttributionTestSupport
import Foundation
import Testing

/// Disputes lower a transaction's net amount while open or lost, and give it
/// back when won, in either arrival order (`charge.dispute.*`).
@Suite("Disputes")
struct DisputeTests {
    typealias E = EventFactory

    /// A dispute event built on Stripe's own fixture object of `version`.
    static func dispute(
        event: String, type: String, created: Int, id: String = "dp_1", charge: String = "ch_1",
        amount: Int, status: String, version: String = "2026-07-29.dahlia"
    ) throws -> String {
        var object = try Fixtures.json("openapi/dispute.acacia-dahlia.json")[version] as! [String: Any]
        object["id"] = id
        object["charge"] = charge
        object["amount"] = amount
        object["status"] = status
        object["livemode"] = true
        return E.envelope(id: event, type: type, created: created, apiVersion: version, object: object)
    }

    func state(_ payloads: [String], settings: ApplySettings = ApplySettings()) async throws -> AppDatabase {
        let db = try AppDatabase.makeEmpty()
        try await db.deliver(payloads)
        try await db.applyAll(settings: settings)
        #expect(try db.count("inbox_events", where: "status NOT IN ('applied', 'ignored')") == 0)
        return db
    }

    func net(_ db: AppDatabase, _ id: String = "ch_1") throws -> (disputed: String?, net: String?) {
        let row = try db.row("SELECT amount_disputed, net_amount FROM attributed_transactions WHERE transaction_id = ?", [id])
        return (row?["amount_disputed"], row?["net_amount"])
    }

    static let charge = E.charge(event: "e_ch", created: 100, id: "ch_1", amount: 5000, customer: "cus_1", partner: "p_a")

    @Test(
        "an open dispute lowers the net, a won one gives it back, a lost one keeps it lowered; both API shapes",
        arguments: ["2025-02-24.acacia", "2026-07-29.dahlia"])
    func lifecycle(version: String) async throws {
        let opened = try Self.dispute(
            event: "d1", type: "charge.dispute.created", created: 200, amount: 5000,
            status: "needs_response", version: version)
        let review = try Self.dispute(
            event: "d2", type: "charge.dispute.updated", created: 300, amount: 5000,
            status: "under_review", version: version)
        let won = try Self.dispute(
            event: "d3", type: "charge.dispute.closed", created: 400, amount: 5000,
            status: "won", version: version)
        let lost = try Self.dispute(
            event: "d3", type: "charge.dispute.closed", created: 400, amount: 5000,
            status: "lost", version: version)
        #expect(try net(try await state([Self.charge, opened])) == ("5000", "0"))
        #expect(try net(try await state([Self.charge, opened, review])) == ("5000", "0"))
        // Any arrival order: the closing snapshot is the newest.
        for events in [[Self.charge, opened, review, won], [won, review, Self.charge, opened]] {
            #expect(try net(try await state(events)) == ("0", "5000"), "won gives the money back")
        }
        for events in [[Self.charge, opened, lost], [lost, opened, Self.charge]] {
            #expect(try net(try await state(events)) == ("5000", "0"), "lost stays lowered")
        }
    }

    @Test("a closing in the same second as an update wins by its rank; funds_withdrawn ranks as an update")
    func sameSecondRank() async throws {
        let closed = try Self.dispute(event: "d_a", type: "charge.dispute.closed", created: 300, amount: 5000, status: "won")
        let withdrawn = try Self.dispute(
            event: "d_z", type: "charge.dispute.funds_withdrawn", created: 300, amount: 5000,
            status: "needs_response")
        #expect(try net(try await state([Self.charge, withdrawn, closed])) == ("0", "5000"))
        #expect(try net(try await state([closed, Self.charge, withdrawn])) == ("0", "5000"))
    }

    @Test("a partial dispute lowers by its amount; after a partial refund the net never goes below 0")
    func partialAndRefund() async throws {
        let partial = try Self.dispute(
            event: "d1", type: "charge.dispute.created", created: 200, amount: 1200,
            status: "needs_response")
        #expect(try net(try await state([Self.charge, partial])) == ("1200", "3800"))
        let refunded = E.charge(
            event: "e_rf", type: "charge.refunded", created: 150, id: "ch_1", amount: 5000, refunded: 3000,
            customer: "cus_1", partner: "p_a")
        let whole = try Self.dispute(
            event: "d1", type: "charge.dispute.created", created: 200, amount: 5000,
            status: "needs_response")
        let db = try await state([whole, refunded, Self.charge])
        #expect(try net(db) == ("5000", "0"), "the disputed amount is kept as sent; only the net is clamped")
        #expect(try db.row("SELECT amount_refunded FROM transactions")?["amount_refunded"] == "3000")
    }

    @Test("inquiries and prevented disputes do not count; a dispute of an unknown charge waits for it")
    func notCounting() async throws {
        for status in ["warning_needs_response", "warning_under_review", "warning_closed", "prevented"] {
            let d = try Self.dispute(event: "d1", type: "charge.dispute.created", created: 200, amount: 5000, status: status)
            #expect(try net(try await state([Self.charge, d])) == ("0", "5000"), "\(status)")
        }
        let early = try Self.dispute(
            event: "d1", type: "charge.dispute.created", created: 200, amount: 700,
            status: "needs_response")
        let db = try AppDatabase.makeEmpty()
        try await db.deliver([early])
        try await db.applyAll()
        #expect(try db.count("inbox_events", where: "status = 'applied'") == 1, "applied, not failed, while the charge is unknown")
        #expect(try db.count("transactions") == 0)
        try await db.deliver([Self.charge])
        try await db.applyAll()
        #expect(try net(db) == ("700", "4300"))
    }

    @Test("in invoice mode a dispute of the invoice's charge counts against the invoice's transaction")
    func invoiceMode() async throws {
        let settings = ApplySettings(transactionSource: .invoice)
        let invoice = E.invoice(event: "e_in", created: 100, id: "in_1", amountPaid: 4000, customer: "cus_1")
        let charge = E.charge(event: "e_ch", created: 100, id: "ch_1", amount: 4000, customer: "cus_1", paymentIntent: "pi_1")
        let link = E.invoicePayment(event: "e_ip", created: 100, invoice: "in_1", paymentIntent: "pi_1")
        let d = try Self.dispute(event: "d1", type: "charge.dispute.created", created: 200, amount: 1000, status: "lost")
        for events in [[invoice, charge, link, d], [d, link, charge, invoice]] {
            let db = try await state(events, settings: settings)
            #expect(try db.count("transactions") == 1)
            #expect(try net(db, "in_1") == ("1000", "3000"))
        }
    }

    @Test("the report's net and commission are lowered by what is disputed")
    func report() async throws {
        let d = try Self.dispute(event: "d1", type: "charge.dispute.created", created: 200, amount: 2000, status: "lost")
        let db = try await state([E.customer(event: "e_c", created: 50, id: "cus_1", partner: "p_a"), Self.charge, d])
        let summary = try #require(try db.row("SELECT gross, refunded, disputed, net FROM partner_summary WHERE partner_key = 'p_a'"))
        #expect(summary == ["gross": "5000", "refunded": "0", "disputed": "2000", "net": "3000"])
    }
}
