import AttributionCore
import AttributionStore
import AttributionTestSupport
import Foundation
import Testing

/// Every payload of `Tests/Fixtures/real-payloads/` (Stripe events and objects
/// that six other projects committed, API 2014-06-17 to 2025-03-31.basil and
/// none) sent to the real daemon as signed webhooks, shuffled and with
/// duplicates, in both transaction modes; then what a user would query.
///
/// The expected rows are worked out from the payloads and the event table in
/// docs/events.md, not from what the daemon printed: see the comments on each.
@Suite("Real payloads from other projects, end to end", .serialized)
struct RealPayloadTests {
    static let secret = "whsec_real_payloads"

    /// Types the daemon applies (docs/events.md); every other type is `ignored`.
    static let appliedTypes: Set<String> = [
        "customer.created", "customer.updated", "customer.deleted",
        "charge.succeeded", "charge.captured", "charge.updated", "charge.refunded", "charge.failed", "charge.expired",
        "customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted",
        "invoice.payment_succeeded", "invoice.paid", "invoice_payment.paid",
        "checkout.session.completed", "checkout.session.async_payment_succeeded",
        "charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed",
        "charge.dispute.funds_withdrawn", "charge.dispute.funds_reinstated",
    ]

    /// Transactions as `id source amount refunded currency livemode customer`.
    /// Charge mode: a charge whose last snapshot succeeded and that is not failed
    /// or fully refunded. dj-stripe's ch_…0001 (2000 usd, four versions, no
    /// `amount_captured` in the 2018 one); pay's ch_chargeid (its charge.refunded,
    /// ranked after charge.succeeded at the same second, says 1500 with 500
    /// refunded); pay's basil ch_1234 (24900, live); solidus_stripe's charge (2000,
    /// no customer); stripe-sync-engine's ch_3KtQTh… (3000). Not: sc-billing's
    /// charge (a charge.failed among its events), stripe-sync-engine's
    /// ch_3KtoMe… (failed in every event) and ch_3Kl36g… (fully refunded).
    static let chargeModeTransactions = [
        "ch_1234 charge 24900 0 usd 1 cus_1234",
        "ch_3KtQThJDPojXS6LN0YmgbxGj charge 3000 0 usd 0 cus_J7Mkgr8mvbl1eK",
        "ch_3MRUo1JvEPu9yc7w0BglRG7L charge 2000 0 usd 0 NULL",
        "ch_chargeid charge 1500 500 usd 0 cus_0dUMWLtzCTagWs",
        "ch_fakefakefakefakefake0001 charge 2000 0 usd 0 cus_6lsBvm5rJ0zyHc",
    ]

    /// Invoice mode: paid invoices with `amount_paid` above 0 (dj-stripe's
    /// in_…0001 and in_…0004, pay's basil invoice; not stripe-sync-engine's
    /// invoice.paid of 0), plus the charges that name no invoice. Charges that
    /// name one (ch_…0001, ch_3KtQTh…) are counted by their invoice, or not at all
    /// when that invoice's payment never arrives.
    static let invoiceModeTransactions = [
        "ch_1234 charge 24900 0 usd 1 cus_1234",
        "ch_3MRUo1JvEPu9yc7w0BglRG7L charge 2000 0 usd 0 NULL",
        "ch_chargeid charge 1500 500 usd 0 cus_0dUMWLtzCTagWs",
        "in_1RFFohKXBGcbgpbZk9MxzDMc invoice 24512 0 usd 0 cus_S9YwWMaQEgeJYO",
        "in_fakefakefakefakefake0001 invoice 2000 0 usd 0 cus_6lsBvm5rJ0zyHc",
        "in_fakefakefakefakefake0004 invoice 4000 0 usd 0 cus_6lsBvm5rJ0zyHc",
    ]

    /// `id status price amount currency interval period_end livemode`: the sum of
    /// unit amount × quantity over the items (a plan's `amount` where an item has
    /// no price), or the top-level plan × quantity where there are no items
    /// (jsbin, 2014). Deleted subscriptions (pay's, sc-billing's,
    /// stripe-sync-engine's sub_JdIz…) are gone.
    static let subscriptions = [
        "sub_JLEPMp81LApOJl active price_1IDQm5JDPojXS6LNM31hxKzp 0 usd month 2021-05-21T04:45:44Z 0",
        "sub_XXXXXXXXX active yearly3 9999 gbp year 2017-08-12T16:20:52Z 1",
        "sub_fakefakefakefakefake0001 active gold21323 2000 usd month 2019-06-16T08:26:16Z 0",
        "sub_fakefakefakefakefake0002 active silver41294 4000 usd month 2019-06-16T08:26:18Z 0",
        "sub_fakefakefakefakefake0003 active gold21323 2000 usd month 2019-06-16T08:26:20Z 0",
        "sub_fakefakefakefakefake0004 active gold21323 6000 usd month 2019-06-16T08:26:22Z 0",
    ]

    /// `id email name livemode deleted_at`: every Stripe customer seen, with its
    /// last known details; stripe-sync-engine's deletion stub keeps Copple's.
    static let customers = [
        "cus_1234 NULL NULL 0 NULL",
        "cus_4QWKsZuuTHcs7X john.doe@example.com NULL 0 NULL",
        "cus_4UbFSo9tl62jqj john.snow@thewall.com NULL 0 NULL",
        "cus_6lsBvm5rJ0zyHc michael.smith@example.com NULL 0 NULL",
        "cus_EGxrcooteA3WAb NULL NULL 0 2019-01-03T06:43:28Z",
        "cus_IhGfebO16cMIGN billz@supabase.io Copple 0 2021-04-29T12:58:31Z",
        "cus_XXXXXXXXXXX chloe.anderson.56@example.com NULL 0 NULL",
    ]

    @Test(
        "every payload converges, shuffled with duplicates, and rebuild gives the same tables",
        arguments: ["charge", "invoice"])
    func corpus(mode: String) async throws {
        let events = try RealPayloads.events()
        #expect(events.count >= 75, "the whole corpus: \(events.count) payloads")
        #expect(Set(events.map(\.id)).count == events.count)

        var dumps: [[String: [String]]] = []
        for seed in [UInt64(20), 2026] {
            let dump = try await deliverAndCheck(events, mode: mode, seed: seed)
            dumps.append(dump)
        }
        #expect(dumps[0] == dumps[1], "two arrival orders give the same tables")
    }

    /// One daemon, one order: sends every event (a third of them twice), checks the rows, rebuilds.
    func deliverAndCheck(_ events: [RealPayloads.Event], mode: String, seed: UInt64) async throws -> [String: [String]] {
        let daemon = try DaemonProcess(
            arguments: ["--transaction-source", mode],
            environment: ["STRIPE_WEBHOOK_SECRET": Self.secret])
        defer { daemon.cleanup() }
        var rng = SeededGenerator(seed: seed)
        let deliveries = (events + events.enumerated().filter { $0.offset % 3 == 0 }.map(\.element)).shuffled(using: &rng)
        for event in deliveries {
            let signature = EventFactory.sign(event.body, secret: Self.secret, at: Int64(Date().timeIntervalSince1970))
            let (status, answer) = try await daemon.post(
                "/webhooks/stripe", body: event.body,
                headers: ["Stripe-Signature": signature])
            #expect(status == 200, "\(event.name): \(answer)")
        }
        let db = try AppDatabase.open(path: daemon.databasePath, readonly: true)
        let settled = try await poll(seconds: 30) {
            // Stripe's events only: the first serve also records its derivation settings as an admin event.
            try db.count("inbox_events", where: "status IN ('applied', 'ignored', 'dead') AND type NOT LIKE 'attributiond.%'")
                == events.count
        }
        #expect(settled, "every event is applied or ignored (mode \(mode), seed \(seed))")
        #expect(try db.count("inbox_events", where: "type NOT LIKE 'attributiond.%'") == events.count, "duplicates add nothing")

        // No event failed; the types the daemon does not use are ignored, the others applied.
        for event in events {
            let row = try #require(try db.row("SELECT status, last_error FROM inbox_events WHERE event_id = ?", [event.id]))
            let expected = Self.appliedTypes.contains(event.type) ? "applied" : "ignored"
            #expect(row["status"] == expected, "\(event.name) \(event.type): \(row)")
        }

        // Events with no version (the key absent or null) are stored with a NULL one, and read all the same.
        #expect(
            try db.count("inbox_events", where: "api_version IS NULL AND type NOT LIKE 'attributiond.%'")
                == events.filter { $0.apiVersion == nil }.count)
        #expect(events.filter { $0.apiVersion == nil }.count == 13)

        let transactions = try db.column(
            """
            SELECT transaction_id || ' ' || source || ' ' || amount || ' ' || amount_refunded || ' ' || currency || ' '
                   || livemode || ' ' || ifnull(stripe_customer_id, 'NULL') FROM transactions ORDER BY transaction_id
            """)
        #expect(transactions == (mode == "charge" ? Self.chargeModeTransactions : Self.invoiceModeTransactions))

        let subscriptions = try db.column(
            """
            SELECT subscription_id || ' ' || status || ' ' || ifnull(price_id, 'NULL') || ' ' || amount || ' '
                   || ifnull(currency, 'NULL') || ' ' || ifnull(interval, 'NULL') || ' '
                   || ifnull(current_period_end, 'NULL') || ' ' || livemode FROM subscriptions ORDER BY subscription_id
            """)
        #expect(subscriptions == Self.subscriptions)

        let customers = try db.column(
            """
            SELECT stripe_customer_id || ' ' || ifnull(email, 'NULL') || ' ' || ifnull(name, 'NULL') || ' ' || livemode
                   || ' ' || ifnull(deleted_at, 'NULL') FROM customers ORDER BY stripe_customer_id
            """)
        #expect(customers == Self.customers)

        #expect(try daemon.stop() == 0)
        let incremental = try db.domainDump()
        let (code, out, err) = try DaemonProcess.run([
            "events", "rebuild", "--db", daemon.databasePath,
            "--transaction-source", mode,
        ])
        #expect(code == 0, "\(err)")
        #expect(out.contains("rebuilt from") && out.contains("no inbox status changed"), "\(out)")
        #expect(try db.domainDump() == incremental, "events rebuild equals incremental application")
        return incremental
    }
}
