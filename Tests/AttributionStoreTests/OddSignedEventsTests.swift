import AttributionCore
import AttributionStore
import AttributionTestSupport
import Foundation
import GRDB
import Testing

/// Signed events that are valid envelopes but odd inside: wrong field types,
/// missing objects, giant metadata, SQL-looking and unicode strings, unknown
/// currencies, absurd amounts. Each is stored, then applied safely or marked
/// `dead` with its error; the events behind them still apply, and the tables
/// are intact afterwards (all SQL is bound by parameters).
@Suite("Odd signed events")
struct OddSignedEventsTests {
    static let sql = "'; DROP TABLE customers; --"
    static let t = 1_800_000_000

    /// Event id, payload, and the status it must end in.
    static func events() throws -> [(id: String, payload: String, status: String)] {
        func envelope(_ id: String, _ type: String, created: Int = t, _ object: [String: Any]) -> String {
            EventFactory.envelope(id: id, type: type, created: created, object: object)
        }
        let giant = Dictionary(uniqueKeysWithValues: (0..<2_000).map { ("key_\($0)", String(repeating: "m", count: 200)) })
            .merging(["customer_key": "giant@odd"]) { a, _ in a }
        return [
            (
                "evt_odd_amount_string",
                envelope(
                    "evt_odd_amount_string", "charge.succeeded",
                    ["id": "ch_odd_1", "object": "charge", "amount": "1000", "currency": "usd", "status": "succeeded"]), "dead"
            ),
            ("evt_odd_negative", EventFactory.charge(event: "evt_odd_negative", created: t, id: "ch_odd_2", amount: -500), "dead"),
            (
                "evt_odd_float_amount",
                envelope(
                    "evt_odd_float_amount", "charge.succeeded",
                    ["id": "ch_odd_3", "object": "charge", "amount": 1e30, "currency": "usd", "status": "succeeded"]), "dead"
            ),
            ("evt_odd_huge", EventFactory.charge(event: "evt_odd_huge", created: t, id: "ch_odd_4", amount: Int.max), "applied"),
            (
                "evt_odd_sub_overflow",
                EventFactory.subscription(
                    event: "evt_odd_sub_overflow", created: t, id: "sub_odd_1",
                    customer: "cus_odd", unitAmount: Int.max, quantity: 2), "dead"
            ),
            ("evt_odd_customer_no_id", envelope("evt_odd_customer_no_id", "customer.created", [:]), "dead"),
            (
                "evt_odd_sql",
                EventFactory.customer(
                    event: "evt_odd_sql", created: t, id: "cus_\(sql)", key: sql, partner: sql,
                    email: sql), "applied"
            ),
            ("evt_odd_sql_type", envelope("evt_odd_sql_type", "x\(sql)", ["id": sql]), "ignored"),
            (
                "evt_odd_unicode",
                envelope(
                    "evt_odd_unicode", "customer.created",
                    [
                        "id": "cus_ünï", "object": "customer", "created": t, "email": "😀@例え.jp",
                        "metadata": ["customer_key": "客户🔑", "partner_key": "партнёр", "ключ": "значение", "": "empty key"],
                    ]), "applied"
            ),
            (
                "evt_odd_giant_metadata",
                envelope(
                    "evt_odd_giant_metadata", "customer.created",
                    ["id": "cus_giant", "object": "customer", "created": t, "metadata": giant]), "applied"
            ),
            (
                "evt_odd_currency",
                EventFactory.charge(
                    event: "evt_odd_currency", created: t, id: "ch_odd_5", amount: 700,
                    currency: "XYZ", customer: "cus_odd"), "applied"
            ),
            (
                "evt_odd_wrong_types",
                envelope(
                    "evt_odd_wrong_types", "customer.updated",
                    [
                        "id": "cus_wrong", "object": "customer", "email": 42, "name": ["a"], "livemode": "yes",
                        "created": "yesterday", "metadata": "not an object",
                    ]), "applied"
            ),
            (
                "evt_odd_items_not_list",
                envelope(
                    "evt_odd_items_not_list", "customer.subscription.created",
                    [
                        "id": "sub_odd_2", "object": "subscription", "customer": ["id": "cus_odd"], "status": "active",
                        "items": "nope",
                    ]), "applied"
            ),
            (
                "evt_odd_far_future",
                EventFactory.charge(
                    event: "evt_odd_far_future", created: Int(Int64.max), id: "ch_odd_6",
                    amount: 100), "applied"
            ),
            ("evt_odd_unknown", envelope("evt_odd_unknown", "radar.value_list.created", ["id": "rsl_1"]), "ignored"),
            (
                "evt_odd_normal",
                EventFactory.charge(
                    event: "evt_odd_normal", created: t, id: "ch_normal", amount: 4200,
                    customer: "cus_odd"), "applied"
            ),
        ]
    }

    @Test("each odd event is stored, then applied, ignored or dead; the queue drains and the tables are intact")
    func oddEventsNeverBlockTheQueue() async throws {
        let db = try AppDatabase.makeEmpty()
        let events = try Self.events()
        // Given every odd event stored, as the webhook stores it (decode, then insert)
        try await db.deliver(events.map(\.payload))
        #expect(try db.count("inbox_events") == events.count)

        // When the worker applies them, with one attempt before `dead` to keep the test short
        while try await db.applyDue(
            limit: 5, settings: ApplySettings(), retry: RetryPolicy(maxAttempts: 1),
            now: 1_800_000_000
        ).processed > 0 {}

        // Then each ends where it should, with its error written on the row
        for event in events {
            let row = try #require(try db.row("SELECT status, last_error FROM inbox_events WHERE event_id = ?", [event.id]))
            #expect(row["status"] == event.status, "\(event.id): \(row)")
            if event.status == "dead" { #expect(row["last_error"]?.contains("cannot read event") == true, "\(event.id)") }
        }
        #expect(try db.count("inbox_events", where: "status IN ('pending', 'failed')") == 0, "nothing left blocking")
        #expect(try db.column("PRAGMA integrity_check") == ["ok"])
        // Strings that look like SQL are data: stored as sent, every table still there.
        #expect(try db.column("SELECT customer_key FROM customers WHERE stripe_customer_id = ?", ["cus_\(Self.sql)"]) == [Self.sql])
        #expect(try db.column("SELECT partner_key FROM partners WHERE partner_key = ?", [Self.sql]) == [Self.sql])
        #expect(try db.column("SELECT customer_key FROM customers WHERE stripe_customer_id = 'cus_ünï'") == ["客户🔑"])
        #expect(try db.column("SELECT currency FROM transactions WHERE transaction_id = 'ch_odd_5'") == ["xyz"])
        #expect(try db.column("SELECT amount FROM transactions WHERE transaction_id = 'ch_odd_4'") == [String(Int64.max)])
        #expect(try db.column("SELECT net_amount FROM attributed_transactions WHERE transaction_id = 'ch_normal'") == ["4200"])
        for table in ["customers", "partners", "transactions", "subscriptions", "inbox_events"] {
            #expect(try db.count(table) >= 0)
        }
        // A rebuild from the same inbox gives the same tables and the same verdicts.
        let before = try db.domainDump()
        try db.rebuild(settings: ApplySettings(), now: 1_800_000_000)
        #expect(try db.domainDump() == before)
    }
}
