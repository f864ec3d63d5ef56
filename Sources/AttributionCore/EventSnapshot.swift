/// What the worker applies from one event: the snapshot its type carries, or
/// nothing for a type attribution does not use. Small next to the parsed JSON,
/// so a batch of them can be prepared ahead of the write.
public enum EventSnapshot: Sendable, Equatable {
    case customer(CustomerSnapshot)
    case charge(ChargeSnapshot)
    case subscription(SubscriptionSnapshot)
    case invoice(InvoiceSnapshot)
    case invoicePayment(InvoicePaymentLink)
    case dispute(DisputeSnapshot)
    case checkoutSession(CheckoutSessionSnapshot)
    case promotionCode(PromotionCodeSnapshot)
    case discount(DiscountSnapshot)
    case signup(LocalEvent.Signup, EventVersion)
    case partnerProfile(LocalEvent.PartnerProfile, EventVersion)
    case settings(LocalEvent.Settings, EventVersion)
    case ruleChange(LocalEvent.RuleChange, EventVersion)
    case rewardHold(LocalEvent.RewardHold, EventVersion)
    case approval(LocalEvent.Approval, EventVersion)
    case payout(Payout, EventVersion)
    case payoutMark(LocalEvent.PayoutMark, EventVersion)
    case ignored

    /// The Stripe event types the worker uses; every other Stripe type is `ignored`.
    /// Kept with the switch below: an upgrade that adds a type here sends the
    /// events of that type an older version ignored back to the worker.
    public static let usedStripeTypes: Set<String> = [
        "customer.created", "customer.updated", "customer.deleted",
        "charge.succeeded", "charge.captured", "charge.updated", "charge.refunded", "charge.failed", "charge.expired",
        "customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted",
        "invoice.payment_succeeded", "invoice.paid", "invoice_payment.paid",
        "charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed",
        "charge.dispute.funds_withdrawn", "charge.dispute.funds_reinstated",
        "checkout.session.completed", "checkout.session.async_payment_succeeded",
        "promotion_code.created", "promotion_code.updated",
        "customer.discount.created", "customer.discount.updated",
    ]

    /// Parses a raw body, as the inbox keeps it, straight to its snapshot.
    public init(payload: String) throws {
        try self.init(event: StripeEvent.decode(Array(payload.utf8)))
    }

    public init(event: StripeEvent) throws(SnapshotError) {
        switch event.type {
        case "customer.created", "customer.updated", "customer.deleted":
            self = .customer(try CustomerSnapshot(event: event))
        case "charge.succeeded", "charge.captured", "charge.updated", "charge.refunded", "charge.failed", "charge.expired":
            self = .charge(try ChargeSnapshot(event: event))
        case "customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted":
            self = .subscription(try SubscriptionSnapshot(event: event))
        case "invoice.payment_succeeded", "invoice.paid":
            self = .invoice(try InvoiceSnapshot(event: event))
        case "charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed",
            "charge.dispute.funds_withdrawn", "charge.dispute.funds_reinstated":
            self = .dispute(try DisputeSnapshot(event: event))
        case "checkout.session.completed", "checkout.session.async_payment_succeeded":
            self = .checkoutSession(try CheckoutSessionSnapshot(event: event))
        case "promotion_code.created", "promotion_code.updated":
            self = .promotionCode(try PromotionCodeSnapshot(event: event))
        case "customer.discount.created", "customer.discount.updated":
            self = .discount(DiscountSnapshot(event: event))
        case "invoice_payment.paid":
            self = .invoicePayment(try InvoicePaymentLink(event: event))
        case LocalEvent.signupType:
            self = .signup(try LocalEvent.Signup(event: event), event.version)
        case LocalEvent.partnerType:
            self = .partnerProfile(try LocalEvent.PartnerProfile(event: event), event.version)
        case LocalEvent.settingsType:
            self = .settings(try LocalEvent.Settings(event: event), event.version)
        case LocalEvent.rewardRuleType: self = .ruleChange(try LocalEvent.RuleChange(event: event), event.version)
        case LocalEvent.rewardHoldType: self = .rewardHold(try LocalEvent.RewardHold(event: event), event.version)
        case LocalEvent.approvalType: self = .approval(try LocalEvent.Approval(event: event), event.version)
        case LocalEvent.payoutType: self = .payout(try Payout(event: event), event.version)
        case LocalEvent.payoutMarkType: self = .payoutMark(try LocalEvent.PayoutMark(event: event), event.version)
        case ImportSnapshot.type:
            // An imported object has the effect (and the order rank) of the event its state matches.
            guard let effect = ImportSnapshot.effectType(of: event.object) else {
                self = .ignored
                return
            }
            var matching = event
            matching.type = effect
            self = try EventSnapshot(event: matching)
        default:
            self = .ignored
        }
    }
}
