import AttributionCore
import Foundation

/// Builds realistic Stripe event payloads (2025+ shapes unless told otherwise) for tests.
public enum EventFactory {
    /// Sorted keys make payloads reproducible; the ingest benchmark turns them off,
    /// since sorting compares every key pair through a locale (~1.3 ms an event).
    public static func serialize(_ object: [String: Any], sortedKeys: Bool = true) throws -> String {
        String(
            decoding: try JSONSerialization.data(withJSONObject: object, options: sortedKeys ? [.sortedKeys] : []),
            as: UTF8.self)
    }

    public static func envelope(
        id: String, type: String, created: Int, livemode: Bool = true,
        apiVersion: String = "2026-07-29.dahlia", object: [String: Any]
    ) -> String {
        try! serialize([
            "id": id, "object": "event", "type": type, "created": created, "livemode": livemode,
            "api_version": apiVersion, "pending_webhooks": 1, "request": ["id": NSNull(), "idempotency_key": NSNull()],
            "data": ["object": object],
        ])
    }

    public static func customer(
        event: String, type: String = "customer.created", created: Int, id: String,
        key: String? = nil, partner: String? = nil, email: String? = nil,
        livemode: Bool = true
    ) -> String {
        var metadata: [String: String] = [:]
        metadata["customer_key"] = key
        metadata["partner_key"] = partner
        return envelope(
            id: event, type: type, created: created, livemode: livemode,
            object: [
                "id": id, "object": "customer", "created": created, "email": email ?? NSNull(),
                "name": NSNull(), "livemode": livemode, "metadata": metadata,
            ])
    }

    public static func charge(
        event: String, type: String = "charge.succeeded", created: Int, id: String,
        amount: Int, refunded: Int = 0, currency: String = "usd", customer: String? = nil,
        status: String = "succeeded", key: String? = nil, partner: String? = nil,
        product: String? = nil, invoice: String? = nil, paymentIntent: String? = nil,
        captured: Bool = true, livemode: Bool = true
    ) -> String {
        var metadata: [String: String] = [:]
        metadata["customer_key"] = key
        metadata["partner_key"] = partner
        metadata["product_key"] = product
        var object: [String: Any] = [
            "id": id, "object": "charge", "created": created, "amount": amount,
            "amount_captured": captured ? amount : 0, "amount_refunded": refunded,
            "refunded": refunded >= amount && amount > 0, "captured": captured, "currency": currency,
            "customer": customer ?? NSNull(), "status": status, "paid": status == "succeeded",
            "livemode": livemode, "metadata": metadata, "payment_intent": paymentIntent ?? NSNull(),
        ]
        if let invoice { object["invoice"] = invoice }
        return envelope(id: event, type: type, created: created, livemode: livemode, object: object)
    }

    public static func subscription(
        event: String, type: String = "customer.subscription.created", created: Int,
        id: String, customer: String, status: String = "active", unitAmount: Int = 1500,
        quantity: Int = 1, periodEnd: Int = 1_800_000_000, oldShape: Bool = false,
        cancelAtPeriodEnd: Bool = false
    ) -> String {
        var item: [String: Any] = [
            "id": "si_\(id)", "object": "subscription_item", "quantity": quantity,
            "price": [
                "id": "price_\(id)", "object": "price", "currency": "usd", "unit_amount": unitAmount,
                "product": "prod_\(id)", "recurring": ["interval": "month", "interval_count": 1],
            ],
        ]
        var object: [String: Any] = [
            "id": id, "object": "subscription", "customer": customer, "status": status, "livemode": true,
            "cancel_at_period_end": cancelAtPeriodEnd, "canceled_at": NSNull(), "currency": "usd", "metadata": [:],
        ]
        if oldShape { object["current_period_end"] = periodEnd } else { item["current_period_end"] = periodEnd }
        object["items"] = ["object": "list", "data": [item]]
        return envelope(id: event, type: type, created: created, object: object)
    }

    public static func invoice(
        event: String, type: String = "invoice.paid", created: Int, id: String,
        amountPaid: Int, customer: String?, key: String? = nil, partner: String? = nil,
        product: String? = nil, subscriptionMetadata: [String: String] = [:],
        charge: String? = nil, currency: String = "usd"
    ) -> String {
        var metadata: [String: String] = [:]
        metadata["customer_key"] = key
        metadata["partner_key"] = partner
        metadata["product_key"] = product
        var object: [String: Any] = [
            "id": id, "object": "invoice", "created": created, "amount_paid": amountPaid, "currency": currency,
            "customer": customer ?? NSNull(), "livemode": true, "metadata": metadata, "status": "paid",
            "status_transitions": ["paid_at": created],
            "parent": [
                "type": "subscription_details",
                "subscription_details": ["metadata": subscriptionMetadata, "subscription": "sub_x"],
            ],
        ]
        if let charge { object["charge"] = charge }
        return envelope(id: event, type: type, created: created, object: object)
    }

    public static func invoicePayment(
        event: String, created: Int, invoice: String, charge: String? = nil,
        paymentIntent: String? = nil
    ) -> String {
        var payment: [String: Any] = ["type": charge != nil ? "charge" : "payment_intent"]
        payment["charge"] = charge
        payment["payment_intent"] = paymentIntent
        return envelope(
            id: event, type: "invoice_payment.paid", created: created,
            object: [
                "id": "inpay_\(event)", "object": "invoice_payment", "invoice": invoice, "payment": payment,
                "status": "paid", "livemode": true,
            ])
    }

    /// A `Stripe-Signature` header for `payload`.
    public static func sign(_ payload: String, secret: String, at timestamp: Int64) -> String {
        StripeSignatureVerifier.header(payload: Array(payload.utf8), secret: secret, timestamp: timestamp)
    }
}
