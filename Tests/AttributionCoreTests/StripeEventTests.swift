import AttributionCore
import AttributionTestSupport
import Foundation
import Testing

@Suite("Event envelope and snapshots")
struct StripeEventTests {
    @Test("a captured event decodes with its envelope fields")
    func envelope() throws {
        let event = try StripeEvent.decode(Fixtures.data("events/stripe-owned/stripe-dotnet.customer_updated.2018-09-24.json"))
        #expect(event.type == "customer.updated")
        #expect(event.apiVersion == "2018-09-24")
        #expect(event.object["object"]?.string == "customer")
    }

    @Test(
        "bodies that are not snapshot events are refused",
        arguments: [
            "", "not json", "[]", #"{"type":"x","created":1,"data":{"object":{}}}"#,
            #"{"id":"evt","created":1,"data":{"object":{}}}"#, #"{"id":"evt","type":"x","data":{"object":{}}}"#,
            #"{"id":"evt","type":"x","created":1}"#, #"{"id":"evt","type":"x","created":1,"data":{"object":null}}"#,
            #"{"id":"evt","type":"x","created":"yesterday","data":{"object":{}}}"#,
        ])
    func notEvents(_ body: String) {
        #expect(throws: EventDecodingError.self) { try StripeEvent.decode(Array(body.utf8)) }
        #expect(throws: EventDecodingError.self) { try StripeEnvelope.decode(Array(body.utf8)) }
    }

    @Test("the intake's envelope reader agrees with the full decoder on real events")
    func envelopeAgrees() throws {
        for name in ["charge.succeeded", "customer.created", "invoice.paid", "customer.subscription.updated"] {
            let body = Array(try Fixtures.capturedEvent(name, id: "evt_\(name)", created: 42).utf8)
            let full = try StripeEvent.decode(body)
            let envelope = try StripeEnvelope.decode(body)
            #expect(
                envelope
                    == StripeEnvelope(
                        id: full.id, type: full.type, created: full.created,
                        livemode: full.livemode, apiVersion: full.apiVersion))
        }
    }

    @Test("the ping event with a null data.object is not a snapshot event")
    func ping() throws {
        #expect(throws: EventDecodingError.self) {
            try StripeEvent.decode(Fixtures.data("events/stripe-owned/stripe-dotnet.event_pre_2017-05-25.ping.json"))
        }
    }

    @Test("type ranks order created < updated < refunded < deleted/failed")
    func ranks() {
        let r = EventVersion.rank(of:)
        #expect(r("customer.created") < r("customer.updated"))
        #expect(r("charge.succeeded") == r("charge.captured"))
        #expect(r("charge.captured") < r("charge.refunded"))
        #expect(r("charge.refunded") < r("charge.failed"))
        #expect(r("customer.subscription.updated") < r("customer.subscription.deleted"))
    }

    @Test("subscription period end is read from the subscription (old) or its items (2025-03-31+)")
    func subscriptionShapes() throws {
        let old = try StripeEvent.decode(
            Array(
                EventFactory.subscription(
                    event: "e1", created: 1, id: "sub_1", customer: "cus_1",
                    periodEnd: 1234, oldShape: true
                ).utf8))
        let new = try StripeEvent.decode(
            Array(
                EventFactory.subscription(
                    event: "e2", created: 1, id: "sub_1", customer: "cus_1",
                    unitAmount: 700, quantity: 3, periodEnd: 1234
                ).utf8))
        #expect(try SubscriptionSnapshot(event: old).currentPeriodEnd == 1234)
        let snapshot = try SubscriptionSnapshot(event: new)
        #expect(snapshot.currentPeriodEnd == 1234)
        #expect(snapshot.amount == 2100)
        #expect(snapshot.interval == "month")
    }

    @Test("the dahlia subscription fixture reads its period from items")
    func dahliaSubscription() throws {
        let fixture = try Fixtures.json("openapi/fixtures3.2026-07-29.dahlia.json")
        let object = (fixture["resources"] as! [String: Any])["subscription"] as! [String: Any]
        let body = EventFactory.envelope(id: "evt_d", type: "customer.subscription.updated", created: 5, object: object)
        let s = try SubscriptionSnapshot(event: StripeEvent.decode(Array(body.utf8)))
        #expect(s.currentPeriodEnd == 976_287_773)
        #expect(s.amount == 2000)
        #expect(s.priceId == "price_1PgafmB7WZ01zgkW6dKueIc5")
    }

    @Test("a charge already fully refunded is reversed; a partial refund is not")
    func chargeRefunds() throws {
        let full = try ChargeSnapshot(
            event: StripeEvent.decode(
                Array(
                    EventFactory.charge(
                        event: "e", created: 1, id: "ch", amount: 1000, refunded: 1000
                    ).utf8)))
        let partial = try ChargeSnapshot(
            event: StripeEvent.decode(
                Array(
                    EventFactory.charge(
                        event: "e", created: 1, id: "ch", amount: 1000, refunded: 300
                    ).utf8)))
        #expect(full.reversed)
        #expect(!partial.reversed)
        #expect(partial.amountRefunded == 300)
    }

    @Test("metadata customer_id is accepted as the customer key")
    func customerIdAlias() {
        let keys = AttributionKeys(metadata: .object(["customer_id": .string("c@x"), "partner_key": .string(" ")]))
        #expect(keys.customerKey == "c@x")
        #expect(keys.partnerKey == nil)
    }

    @Test("timestamps round-trip as ISO-8601 UTC")
    func timestamps() {
        #expect(Timestamp.iso(1_795_602_916) == "2026-11-25T10:35:16Z")
        #expect(Timestamp.parse("2026-11-25T10:35:16Z") == 1_795_602_916)
        #expect(Timestamp.parse("2026-11-01") == 1_793_491_200)
        #expect(Timestamp.parse("2026-02-30") == nil)
        #expect(Timestamp.parse("yesterday") == nil)
    }

    @Test("a full timestamp reads leap days and refuses dates and times that do not exist")
    func timestampsThatDoNotExist() {
        #expect(Timestamp.parse("2024-02-29T00:00:00Z") == 1_709_164_800)
        #expect(Timestamp.parse("2000-02-29T12:00:00Z") == 951_825_600)
        for text in [
            "2026-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-13-01T00:00:00Z",
            "2026-00-10T00:00:00Z", "2026-01-00T00:00:00Z", "2026-01-01T24:00:00Z", "2026-01-01T23:60:00Z",
            "2026-01-01T00:00:00z", "2026-01-01 00:00:00Z", "+026-01-01T00:00:00Z",
        ] {
            #expect(Timestamp.parse(text) == nil, "\(text)")
        }
    }

    @Test("timestamps format as an independent calendar computation does, from year 0001 to 9999, and parse back")
    func timestampsMatchReference() {
        var rng = SeededGenerator(seed: 42)
        let edges: [Int64] = [0, -1, 59, 86_399, 951_782_400, -62_135_596_800, 253_402_300_799, 4_102_444_800]
        for t in edges + (0..<2_000).map({ _ in Int64.random(in: -62_135_596_800...253_402_300_799, using: &rng) }) {
            let text = Timestamp.iso(t)
            #expect(text == Self.reference(t), "\(t)")
            #expect(Timestamp.parse(text) == t, "\(t)")
        }
    }

    /// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian, as the schema's
    /// timestamps are), in plain arithmetic: no libc and no Foundation formatter.
    static func reference(_ t: Int64) -> String {
        let days = t >= 0 ? t / 86_400 : (t - 86_399) / 86_400
        let seconds = t - days * 86_400
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ v: Int64, _ width: Int) -> String { String(repeating: "0", count: max(0, width - String(v).count)) + String(v) }
        return
            "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(seconds / 3_600, 2)):\(pad(seconds / 60 % 60, 2)):\(pad(seconds % 60, 2))Z"
    }
}
