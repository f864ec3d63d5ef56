/// A Stripe customer as one event saw it.
public struct CustomerSnapshot: Sendable, Equatable {
    public var id: String
    public var version: EventVersion
    public var email: String?
    public var name: String?
    public var keys: AttributionKeys
    public var livemode: Bool
    public var createdAt: Int64
    /// Set when this event is the customer's deletion.
    public var deletedAt: Int64?
    /// A deletion that carries neither `email` nor `name`, such as Stripe's own
    /// `{"id", "object": "customer", "deleted": true}`. It says when the customer
    /// was deleted and nothing about its details, so its `version` is the lowest
    /// there is: any snapshot with details wins them, whatever order they arrive
    /// in, while `deletedAt` still merges.
    public var isDeletionStub: Bool
    /// Promotion codes of its discount (older API versions embed it): partner evidence.
    public var promotionCodes: [PromotionCodeRef]

    public init(event: StripeEvent) throws(SnapshotError) {
        let o = event.object
        guard let id = o["id"]?.string else { throw .missingField("customer id") }
        self.id = id
        email = o["email"]?.string
        name = o["name"]?.string
        keys = AttributionKeys(metadata: o["metadata"])
        livemode = o["livemode"]?.bool ?? event.livemode
        createdAt = o["created"]?.int ?? event.created
        let deleted = event.type == "customer.deleted" || o["deleted"]?.bool == true
        deletedAt = deleted ? event.created : nil
        isDeletionStub = deleted && o["email"] == nil && o["name"] == nil
        version = isDeletionStub ? EventVersion(created: .min, rank: event.version.rank, eventId: event.id) : event.version
        promotionCodes = PromotionCodeRef.all(in: o, version: event.version, livemode: livemode)
    }
}

/// A Stripe charge as one event saw it.
public struct ChargeSnapshot: Sendable, Equatable {
    public var id: String
    public var version: EventVersion
    public var status: String
    public var amount: Int64
    public var amountRefunded: Int64
    public var currency: String
    public var customerId: String?
    public var keys: AttributionKeys
    public var invoiceId: String?
    public var paymentIntentId: String?
    public var livemode: Bool
    public var createdAt: Int64
    /// Failed, expired or fully refunded: a terminal fact no later snapshot undoes.
    public var reversed: Bool

    public init(event: StripeEvent) throws(SnapshotError) {
        let o = event.object
        guard let id = o["id"]?.string else { throw .missingField("charge id") }
        guard let amount = o["amount"]?.int, amount >= 0 else { throw .missingField("charge amount") }
        guard let currency = o["currency"]?.string, !currency.isEmpty else { throw .missingField("charge currency") }
        self.id = id
        version = event.version
        status = o["status"]?.string ?? "unknown"
        let captured = o["captured"]?.bool ?? true
        if captured, let amountCaptured = o["amount_captured"]?.int, amountCaptured > 0 {
            self.amount = amountCaptured
        } else {
            self.amount = amount
        }
        amountRefunded = max(0, o["amount_refunded"]?.int ?? 0)
        self.currency = currency.lowercased()
        customerId = o["customer"]?.idValue
        keys = AttributionKeys(metadata: o["metadata"])
        invoiceId = o["invoice"]?.idValue
        paymentIntentId = o["payment_intent"]?.idValue
        livemode = o["livemode"]?.bool ?? event.livemode
        createdAt = o["created"]?.int ?? event.created
        let fullyRefunded = o["refunded"]?.bool == true || (amountRefunded > 0 && amountRefunded >= self.amount)
        reversed = event.type == "charge.failed" || event.type == "charge.expired" || status == "failed" || fullyRefunded
    }
}

/// A Stripe subscription as one event saw it, in either API shape.
public struct SubscriptionSnapshot: Sendable, Equatable {
    public var id: String
    public var version: EventVersion
    public var customerId: String?
    public var status: String
    public var priceId: String?
    public var productId: String?
    public var amount: Int64
    public var currency: String?
    public var interval: String?
    public var currentPeriodEnd: Int64?
    public var cancelAtPeriodEnd: Bool
    public var canceledAt: Int64?
    public var livemode: Bool
    public var deleted: Bool
    /// `metadata.customer_key` / `partner_key`: evidence for its customer (Checkout's `subscription_data.metadata`).
    public var keys: AttributionKeys
    /// Promotion codes of its discounts: partner evidence for its customer.
    public var promotionCodes: [PromotionCodeRef]

    public init(event: StripeEvent) throws(SnapshotError) {
        let o = event.object
        guard let id = o["id"]?.string else { throw .missingField("subscription id") }
        self.id = id
        version = event.version
        customerId = o["customer"]?.idValue
        status = o["status"]?.string ?? "unknown"
        let items = o["items"]?["data"]?.array ?? []
        var amount: Int64 = 0
        var firstPrice: JSONValue?
        var itemPeriodEnd: Int64?
        for item in items {
            // Newer versions carry `price`; 2020-era ones also carry `plan`.
            let price = item["price"].flatMap { $0.isObject ? $0 : nil } ?? item["plan"]
            if firstPrice == nil { firstPrice = price }
            let unit = price?["unit_amount"]?.int ?? price?["amount"]?.int ?? 0
            let quantity = item["quantity"]?.int ?? 1
            // Signed but absurd amounts must fail the event, not trap the worker on overflow.
            let (itemAmount, o1) = unit.multipliedReportingOverflow(by: quantity)
            let (sum, o2) = amount.addingReportingOverflow(itemAmount)
            guard !o1, !o2 else { throw .missingField("subscription amount (overflows 64 bits)") }
            amount = sum
            if let end = item["current_period_end"]?.int { itemPeriodEnd = max(itemPeriodEnd ?? end, end) }
        }
        // Before items existed (API 2014 and earlier) a subscription had one top-level plan and a quantity.
        if items.isEmpty, let plan = o["plan"], plan.isObject {
            firstPrice = plan
            let unit = plan["unit_amount"]?.int ?? plan["amount"]?.int ?? 0
            let (planAmount, overflow) = unit.multipliedReportingOverflow(by: o["quantity"]?.int ?? 1)
            guard !overflow else { throw .missingField("subscription amount (overflows 64 bits)") }
            amount = planAmount
        }
        self.amount = amount
        priceId = firstPrice?["id"]?.string
        productId = firstPrice?["product"]?.idValue
        currency = (firstPrice?["currency"]?.string ?? o["currency"]?.string)?.lowercased()
        interval = firstPrice?["recurring"]?["interval"]?.string ?? firstPrice?["interval"]?.string
        // 2025-03-31 moved the period onto the items; read both shapes.
        currentPeriodEnd = o["current_period_end"]?.int ?? itemPeriodEnd
        cancelAtPeriodEnd = o["cancel_at_period_end"]?.bool ?? false
        canceledAt = o["canceled_at"]?.int
        livemode = o["livemode"]?.bool ?? event.livemode
        deleted = event.type == "customer.subscription.deleted"
        keys = AttributionKeys(metadata: o["metadata"])
        promotionCodes = PromotionCodeRef.all(in: o, version: event.version, livemode: livemode)
    }
}

/// A paid Stripe invoice as one event saw it.
public struct InvoiceSnapshot: Sendable, Equatable {
    public var id: String
    public var version: EventVersion
    public var amountPaid: Int64
    public var currency: String
    public var customerId: String?
    public var keys: AttributionKeys
    /// Only in API versions before 2025-03-31.
    public var chargeId: String?
    public var paymentIntentId: String?
    public var livemode: Bool
    public var paidAt: Int64
    /// Promotion codes of its discounts: partner evidence for its customer.
    public var promotionCodes: [PromotionCodeRef]

    public init(event: StripeEvent) throws(SnapshotError) {
        let o = event.object
        guard let id = o["id"]?.string else { throw .missingField("invoice id") }
        guard let currency = o["currency"]?.string, !currency.isEmpty else { throw .missingField("invoice currency") }
        self.id = id
        version = event.version
        amountPaid = max(0, o["amount_paid"]?.int ?? 0)
        self.currency = currency.lowercased()
        customerId = o["customer"]?.idValue
        // Keys on the invoice win; otherwise those of the subscription it bills,
        // at the top level (before 2025-03-31) or under `parent` (after).
        let subscriptionMetadata =
            o["subscription_details"]?["metadata"]
            ?? o["parent"]?["subscription_details"]?["metadata"]
        keys = AttributionKeys(metadata: o["metadata"]).filled(from: AttributionKeys(metadata: subscriptionMetadata))
        chargeId = o["charge"]?.idValue
        paymentIntentId = o["payment_intent"]?.idValue
        livemode = o["livemode"]?.bool ?? event.livemode
        paidAt = o["status_transitions"]?["paid_at"]?.int ?? o["created"]?.int ?? event.created
        promotionCodes = PromotionCodeRef.all(in: o, version: event.version, livemode: livemode)
    }
}

/// Which charge or payment intent paid which invoice (`invoice_payment.paid`, 2025-03-31 and later).
public struct InvoicePaymentLink: Sendable, Equatable {
    public var invoiceId: String
    public var chargeId: String?
    public var paymentIntentId: String?

    public init(event: StripeEvent) throws(SnapshotError) {
        let o = event.object
        guard let invoice = o["invoice"]?.idValue else { throw .missingField("invoice_payment invoice") }
        invoiceId = invoice
        chargeId = o["payment"]?["charge"]?.idValue
        paymentIntentId = o["payment"]?["payment_intent"]?.idValue
        if chargeId == nil && paymentIntentId == nil { throw .missingField("invoice_payment payment") }
    }
}

/// A snapshot that lacks what the worker needs; the event is retried, then dead.
public enum SnapshotError: Error, Equatable, Sendable, CustomStringConvertible {
    case missingField(String)
    public var description: String {
        switch self {
        case .missingField(let f): "cannot read event: missing or invalid \(f)"
        }
    }
}
