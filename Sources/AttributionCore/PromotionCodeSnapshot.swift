/// A Stripe promotion code (`promo_…`) as one event saw it: the customer-facing
/// code text and the partner its metadata names. A code is a partner's when its
/// metadata says so, or when an administrator mapped its text to a partner
/// (`partners add KEY --promotion-code CODE`); the metadata wins.
public struct PromotionCodeSnapshot: Sendable, Equatable {
    public var id: String
    public var version: EventVersion
    public var code: String?
    public var partnerKey: String?
    public var livemode: Bool

    public init(event: StripeEvent) throws(SnapshotError) {
        guard
            let snapshot = PromotionCodeSnapshot(
                object: event.object, version: event.version,
                livemode: event.livemode)
        else { throw .missingField("promotion code id") }
        self = snapshot
    }

    /// Reads an expanded `promotion_code` object; nil when it is not one (a bare id, or no id).
    public init?(object o: JSONValue, version: EventVersion, livemode: Bool) {
        guard o.isObject, let id = o["id"]?.string, !id.isEmpty else { return nil }
        self.id = id
        self.version = version
        code = o["code"]?.string
        partnerKey = AttributionKeys(metadata: o["metadata"]).partnerKey
        self.livemode = o["livemode"]?.bool ?? livemode
    }
}

/// A promotion code named by a discount: its id, and its snapshot when the
/// discount carries the whole object (expanded) rather than the id alone.
public struct PromotionCodeRef: Sendable, Equatable {
    public var id: String
    public var snapshot: PromotionCodeSnapshot?

    /// The promotion codes of an object's discounts: `discount.promotion_code`
    /// (customers, subscriptions and invoices of older API versions) and
    /// `discounts[].promotion_code` where the discounts are objects (Checkout
    /// sessions, expanded invoices). Discount ids alone (`di_…`) name no code.
    public static func all(in o: JSONValue, version: EventVersion, livemode: Bool) -> [PromotionCodeRef] {
        var discounts: [JSONValue] = []
        if let one = o["discount"], one.isObject { discounts.append(one) }
        discounts += (o["discounts"]?.array ?? []).filter(\.isObject)
        return discounts.compactMap { ref(in: $0, version: version, livemode: livemode) }
    }

    /// The code a single discount object names, if any.
    public static func ref(in discount: JSONValue, version: EventVersion, livemode: Bool) -> PromotionCodeRef? {
        guard let value = discount["promotion_code"], let id = value.idValue, !id.isEmpty else { return nil }
        return PromotionCodeRef(id: id, snapshot: PromotionCodeSnapshot(object: value, version: version, livemode: livemode))
    }
}

/// `customer.discount.created|updated`: a customer used a promotion code. When
/// the code is a partner's, that is partner evidence for the customer at the
/// event's time.
public struct DiscountSnapshot: Sendable, Equatable {
    public var version: EventVersion
    public var customerId: String?
    public var promotionCode: PromotionCodeRef?
    public var livemode: Bool

    public init(event: StripeEvent) {
        let o = event.object
        version = event.version
        customerId = o["customer"]?.idValue
        livemode = o["livemode"]?.bool ?? event.livemode
        promotionCode = PromotionCodeRef.ref(in: o, version: event.version, livemode: livemode)
    }
}
