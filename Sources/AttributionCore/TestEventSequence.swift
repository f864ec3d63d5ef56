import Foundation

/// The realistic run of Stripe events that `send-test-events` delivers: a
/// customer with `customer_key` and `partner_key`, a paid charge with a
/// `product_key`, its partial refund, a subscription created then updated,
/// a duplicate delivery and a badly signed one; then two sales made with no
/// code on the business's side: a Payment Link sale whose
/// `client_reference_id` is a `gspk_` reference, and a sale with a partner's
/// promotion code.
///
/// Every id carries `runId`, so runs never collide with each other or with
/// real Stripe data, and the checks can look for exactly this run's rows.
/// It lives in the core (no HTTP, no database) so tests can inspect the
/// payloads and the expectations without a daemon.
public struct TestEventSequence: Sendable {
    public let runId: String
    /// Unix time of the first event; later events follow a second apart, so
    /// the order the daemon settles on is the order they were sent in.
    public let start: Int64

    public var customerId: String { "cus_test_\(runId)" }
    public var customerKey: String { "test-\(runId)@example.com" }
    public let partnerKey = "partner_test_suite"
    public let productKey = "product_test_suite"
    public var chargeId: String { "ch_test_\(runId)" }
    public var subscriptionId: String { "sub_test_\(runId)" }
    /// The Payment Link sale: its customer and charge, and the partner its `gspk_` reference names.
    public var linkCustomerId: String { "cus_test_\(runId)_link" }
    public var linkChargeId: String { "ch_test_\(runId)_link" }
    public let linkPartnerKey = "partner_test_link"
    /// The promotion-code sale: the code (its metadata names the partner), its customer and charge.
    public var promotionCodeId: String { "promo_test_\(runId)" }
    public var promoCustomerId: String { "cus_test_\(runId)_promo" }
    public var promoChargeId: String { "ch_test_\(runId)_promo" }
    public let promoPartnerKey = "partner_test_promo"
    public let amount: Int64 = 4900
    public let refunded: Int64 = 1500
    public let currency = "usd"

    public init(runId: String = Self.makeRunId(), start: Int64) {
        self.runId = runId
        self.start = start
    }

    /// 12 random lower-case hex digits.
    public static func makeRunId() -> String {
        Hex.encode((0..<6).map { _ in UInt8.random(in: 0...255) })
    }

    /// The deliveries in the order they are sent.
    public func deliveries() -> [TestDelivery] {
        let customer = event(
            "customer.created", offset: 0,
            object: [
                "id": customerId, "object": "customer", "email": customerKey, "name": "Test Suite Customer",
                "created": start, "livemode": false,
                "metadata": ["customer_key": customerKey, "partner_key": partnerKey],
            ])
        let charge = event("charge.succeeded", offset: 1, object: chargeObject(refunded: 0))
        let refund = event("charge.refunded", offset: 2, object: chargeObject(refunded: refunded))
        let subscriptionCreated = event(
            "customer.subscription.created", offset: 3,
            object: subscriptionObject(status: "incomplete"))
        let subscriptionUpdated = event(
            "customer.subscription.updated", offset: 4,
            object: subscriptionObject(status: "active"))
        let forged = event(
            "customer.updated", offset: 5,
            object: [
                "id": customerId, "object": "customer", "email": "forged@example.com", "created": start,
                "livemode": false, "metadata": ["customer_key": customerKey, "partner_key": "partner_forged"],
            ])
        return [
            TestDelivery(name: "customer.created", event: customer, expectation: .accepted),
            TestDelivery(name: "charge.succeeded", event: charge, expectation: .accepted),
            TestDelivery(name: "charge.refunded (partial)", event: refund, expectation: .accepted),
            TestDelivery(name: "customer.subscription.created", event: subscriptionCreated, expectation: .accepted),
            TestDelivery(name: "customer.subscription.updated", event: subscriptionUpdated, expectation: .accepted),
            TestDelivery(name: "duplicate charge.succeeded", event: charge, expectation: .duplicate),
            TestDelivery(name: "bad signature", event: forged, expectation: .rejected),
        ] + paymentLinkSale() + promotionCodeSale()
    }

    /// A Payment Link opened with `?client_reference_id=gspk_…`: the session names the partner, the charge follows.
    private func paymentLinkSale() -> [TestDelivery] {
        let reference = "gspk_" + Data(linkPartnerKey.utf8).base64EncodedString()
        return [
            TestDelivery(
                name: "customer.created (Payment Link buyer)",
                event: event(
                    "customer.created", offset: 6,
                    object: plainCustomer(linkCustomerId)), expectation: .accepted),
            TestDelivery(
                name: "checkout.session.completed (gspk_ reference)",
                event: event(
                    "checkout.session.completed", offset: 7,
                    object: [
                        "id": "cs_test_\(runId)", "object": "checkout.session", "mode": "payment", "status": "complete",
                        "payment_status": "paid", "customer": linkCustomerId, "client_reference_id": reference,
                        "payment_link": "plink_test_suite", "amount_total": amount, "currency": currency,
                        "created": start + 7, "livemode": false, "metadata": [:] as [String: Any],
                    ]), expectation: .accepted),
            TestDelivery(
                name: "charge.succeeded (Payment Link)",
                event: event(
                    "charge.succeeded", offset: 8,
                    object: plainCharge(linkChargeId, customer: linkCustomerId, at: start + 8)), expectation: .accepted),
        ]
    }

    /// A partner's promotion code (its metadata names the partner), used by a new customer.
    private func promotionCodeSale() -> [TestDelivery] {
        [
            TestDelivery(
                name: "promotion_code.created",
                event: event(
                    "promotion_code.created", offset: 9,
                    object: [
                        "id": promotionCodeId, "object": "promotion_code", "code": "TESTSUITE\(runId.uppercased())",
                        "active": true, "created": start + 9, "livemode": false,
                        "metadata": ["partner_key": promoPartnerKey],
                        "promotion": ["coupon": "co_test_suite", "type": "coupon"],
                    ]), expectation: .accepted),
            TestDelivery(
                name: "customer.created (promotion code buyer)",
                event: event(
                    "customer.created", offset: 10,
                    object: plainCustomer(promoCustomerId)), expectation: .accepted),
            TestDelivery(
                name: "customer.discount.created",
                event: event(
                    "customer.discount.created", offset: 11,
                    object: [
                        "id": "di_test_\(runId)", "object": "discount", "customer": promoCustomerId,
                        "promotion_code": promotionCodeId, "start": start + 11, "end": NSNull(),
                        "source": ["coupon": "co_test_suite", "type": "coupon"],
                    ]), expectation: .accepted),
            TestDelivery(
                name: "charge.succeeded (promotion code)",
                event: event(
                    "charge.succeeded", offset: 12,
                    object: plainCharge(promoChargeId, customer: promoCustomerId, at: start + 12)), expectation: .accepted),
        ]
    }

    private func plainCustomer(_ id: String) -> [String: Any] {
        [
            "id": id, "object": "customer", "email": NSNull(), "name": "Test Suite Buyer", "created": start,
            "livemode": false, "metadata": [:] as [String: Any],
        ]
    }

    private func plainCharge(_ id: String, customer: String, at created: Int64) -> [String: Any] {
        [
            "id": id, "object": "charge", "amount": amount, "amount_captured": amount, "amount_refunded": 0,
            "captured": true, "currency": currency, "customer": customer, "paid": true, "refunded": false,
            "status": "succeeded", "created": created, "livemode": false, "description": "attributiond test suite",
            "metadata": [:] as [String: Any],
        ]
    }

    private func chargeObject(refunded: Int64) -> [String: Any] {
        [
            "id": chargeId, "object": "charge", "amount": amount, "amount_captured": amount,
            "amount_refunded": refunded, "captured": true, "currency": currency, "customer": customerId,
            "paid": true, "refunded": refunded >= amount, "status": "succeeded", "created": start + 1,
            "livemode": false, "payment_intent": "pi_test_\(runId)", "description": "attributiond test suite",
            "metadata": ["customer_key": customerKey, "product_key": productKey],
        ]
    }

    private func subscriptionObject(status: String) -> [String: Any] {
        let price: [String: Any] = [
            "id": "price_test_suite", "object": "price", "currency": currency, "product": "prod_test_suite",
            "unit_amount": amount, "recurring": ["interval": "month", "interval_count": 1],
        ]
        return [
            "id": subscriptionId, "object": "subscription", "customer": customerId, "status": status,
            "currency": currency, "cancel_at_period_end": false, "canceled_at": NSNull(),
            "created": start + 3, "current_period_end": start + 30 * 86_400, "livemode": false,
            "items": [
                "object": "list",
                "data": [
                    ["id": "si_test_\(runId)", "object": "subscription_item", "quantity": 1, "price": price]
                ],
            ],
            "metadata": [:] as [String: Any],
        ]
    }

    /// One event envelope, as Stripe sends it, serialised with sorted keys.
    private func event(_ type: String, offset: Int64, object: [String: Any]) -> TestEvent {
        let id = "evt_test_\(runId)_\(offset)"
        let envelope: [String: Any] = [
            "id": id, "object": "event", "api_version": "2024-06-20", "created": start + offset,
            "livemode": false, "pending_webhooks": 1, "type": type,
            "request": ["id": NSNull(), "idempotency_key": NSNull()],
            "data": ["object": object],
        ]
        // Only literal dictionaries built above reach here, so serialisation cannot fail.
        let body = try! JSONSerialization.data(withJSONObject: envelope, options: [.sortedKeys, .withoutEscapingSlashes])
        return TestEvent(id: id, type: type, body: Array(body))
    }
}

/// One event of the sequence: its id, type and exact body bytes.
public struct TestEvent: Sendable, Equatable {
    public let id: String
    public let type: String
    public let body: [UInt8]
}

/// One delivery and what a correctly configured daemon must answer.
public struct TestDelivery: Sendable {
    /// What the daemon must do with a delivery.
    public enum Expectation: Sendable, Equatable {
        /// 200, stored as new.
        case accepted
        /// 200, recognised as already stored.
        case duplicate
        /// Signed with a wrong secret: 400, nothing stored.
        case rejected
    }

    public let name: String
    public let event: TestEvent
    public let expectation: Expectation

    /// The `Stripe-Signature` header: the right secret, or a wrong one for `rejected`.
    public func signature(secret: String, timestamp: Int64) -> String {
        let key = expectation == .rejected ? secret + "-not-the-secret" : secret
        return StripeSignatureVerifier.header(payload: event.body, secret: key, timestamp: timestamp)
    }
}
