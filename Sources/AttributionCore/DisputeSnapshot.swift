/// A Stripe dispute as one event saw it (`charge.dispute.*`).
///
/// While a dispute is open (`needs_response`, `under_review`) or lost, its
/// amount left the business's account and counts against its charge's
/// transaction. A dispute that was won or prevented gave the money back, and
/// an inquiry (`warning_*`) never took it.
public struct DisputeSnapshot: Sendable, Equatable {
    public var id: String
    public var version: EventVersion
    public var chargeId: String?
    public var paymentIntentId: String?
    public var amount: Int64
    public var status: String
    public var livemode: Bool

    /// Statuses whose amount counts against the charge.
    public static let countingStatuses: Set<String> = ["needs_response", "under_review", "lost"]

    public var counts: Bool { Self.countingStatuses.contains(status) }

    public init(event: StripeEvent) throws(SnapshotError) {
        let o = event.object
        guard let id = o["id"]?.string else { throw .missingField("dispute id") }
        guard let amount = o["amount"]?.int, amount >= 0 else { throw .missingField("dispute amount") }
        self.id = id
        version = event.version
        chargeId = o["charge"]?.idValue
        paymentIntentId = o["payment_intent"]?.idValue
        if chargeId == nil && paymentIntentId == nil { throw .missingField("dispute charge") }
        self.amount = amount
        status = o["status"]?.string ?? "unknown"
        livemode = o["livemode"]?.bool ?? event.livemode
    }
}
