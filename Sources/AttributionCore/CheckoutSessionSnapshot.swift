/// A completed Stripe Checkout session (or Payment Link sale) as one event saw it.
///
/// A session creates no transaction (its charge or invoice does); it links its
/// Stripe customer to a customer key and carries partner evidence, so a sale
/// made through a Payment Link with `?client_reference_id=gspk_…` is
/// attributed with no code on the business's side.
public struct CheckoutSessionSnapshot: Sendable, Equatable {
    public var id: String
    public var version: EventVersion
    public var customerId: String?
    /// `metadata.customer_key` (or `customer_id`), else a `client_reference_id` that is not a `gspk_` reference.
    public var customerKey: String?
    /// `metadata.partner_key`, else the partner a `gspk_` reference decodes to.
    public var partnerKey: String?
    /// Why a `gspk_` reference gave no partner (empty, not base64, not UTF-8), for the log and a metric.
    public var undecodableReference: String?
    public var livemode: Bool
    /// Promotion codes among `discounts`: partner evidence when they are a partner's.
    public var promotionCodes: [PromotionCodeRef]

    public init(event: StripeEvent) throws(SnapshotError) {
        let o = event.object
        guard let id = o["id"]?.string else { throw .missingField("checkout session id") }
        self.id = id
        version = event.version
        customerId = o["customer"]?.idValue
        livemode = o["livemode"]?.bool ?? event.livemode
        let keys = AttributionKeys(metadata: o["metadata"])
        var reference = o["client_reference_id"]?.string?.trimmingCharacters(in: .whitespaces)
        if reference?.isEmpty == true { reference = nil }
        var referred: String?
        if let reference, reference.hasPrefix("gspk_") {
            do { referred = try Gspk.decode(String(reference.dropFirst(5))) } catch {
                undecodableReference = "client_reference_id \(reference.prefix(100)) gives no partner: \(error.description)"
            }
            customerKey = keys.customerKey
        } else {
            customerKey = keys.customerKey ?? reference
        }
        partnerKey = keys.partnerKey ?? referred
        promotionCodes = PromotionCodeRef.all(in: o, version: event.version, livemode: livemode)
    }
}
