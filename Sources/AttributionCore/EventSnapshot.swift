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

    /// The snapshot a Stripe event type carries.
    private enum StripeKind {
        case customer, charge, subscription, invoice, invoicePayment, dispute, checkoutSession, promotionCode, discount
    }

    /// The Stripe event types the worker reads, each with its snapshot: the one
    /// list, read by the parser below and by the upgrade step that sends events
    /// of newly used types, which an older version ignored, back to the worker.
    private static let stripeKinds: [String: StripeKind] = [
        "customer.created": .customer, "customer.updated": .customer, "customer.deleted": .customer,
        "charge.succeeded": .charge, "charge.captured": .charge, "charge.updated": .charge,
        "charge.refunded": .charge, "charge.failed": .charge, "charge.expired": .charge,
        "customer.subscription.created": .subscription, "customer.subscription.updated": .subscription,
        "customer.subscription.deleted": .subscription,
        "invoice.payment_succeeded": .invoice, "invoice.paid": .invoice, "invoice_payment.paid": .invoicePayment,
        "charge.dispute.created": .dispute, "charge.dispute.updated": .dispute, "charge.dispute.closed": .dispute,
        "charge.dispute.funds_withdrawn": .dispute, "charge.dispute.funds_reinstated": .dispute,
        "checkout.session.completed": .checkoutSession, "checkout.session.async_payment_succeeded": .checkoutSession,
        "promotion_code.created": .promotionCode, "promotion_code.updated": .promotionCode,
        "customer.discount.created": .discount, "customer.discount.updated": .discount,
    ]

    /// The Stripe event types the worker uses; every other Stripe type is `ignored`.
    public static let usedStripeTypes: Set<String> = Set(stripeKinds.keys)

    /// Parses a raw body, as the inbox keeps it, straight to its snapshot.
    public init(payload: String) throws {
        try self.init(event: StripeEvent.decode(Array(payload.utf8)))
    }

    public init(event: StripeEvent) throws(SnapshotError) {
        if let kind = Self.stripeKinds[event.type] {
            self = try Self.stripe(kind, event)
            return
        }
        switch event.type {
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

    private static func stripe(_ kind: StripeKind, _ event: StripeEvent) throws(SnapshotError) -> EventSnapshot {
        switch kind {
        case .customer: .customer(try CustomerSnapshot(event: event))
        case .charge: .charge(try ChargeSnapshot(event: event))
        case .subscription: .subscription(try SubscriptionSnapshot(event: event))
        case .invoice: .invoice(try InvoiceSnapshot(event: event))
        case .invoicePayment: .invoicePayment(try InvoicePaymentLink(event: event))
        case .dispute: .dispute(try DisputeSnapshot(event: event))
        case .checkoutSession: .checkoutSession(try CheckoutSessionSnapshot(event: event))
        case .promotionCode: .promotionCode(try PromotionCodeSnapshot(event: event))
        case .discount: .discount(DiscountSnapshot(event: event))
        }
    }
}
