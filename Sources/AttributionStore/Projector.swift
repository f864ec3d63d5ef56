import AttributionCore
import GRDB

/// Applies one Stripe event to the fact tables, then re-derives the public
/// rows it touches. Every merge is order-independent (latest snapshot by
/// event version, flags that only turn on, amounts that only grow, sets of
/// sightings), so the tables depend only on the set of events applied.
struct Projector {
    let db: Statements
    let settings: ApplySettings
    /// Customers whose partner changed because of earlier-dated evidence; logged and counted.
    var conflicts: [String] = []
    /// References to objects not seen yet (kept until they arrive); logged and counted by kind.
    var unresolved: [(kind: String, detail: String)] = []
    /// Customers newly flagged as self-referrals (their email is their partner's); logged and counted.
    var selfReferrals: [String] = []
    /// False when the caller settles once for many events (the worker's batch,
    /// which passes `deferred`): the triggers' `ledger_dirty` rows wait, and a
    /// transaction touched by several events of the batch is derived once.
    var settlesEachEvent: Bool { deferred == nil }
    /// What the ledger rows written since the last settle changed in `ledger_totals`.
    var totals = LedgerTotalsChange()
    /// When the caller settles once for many events: the charges whose
    /// transaction waits to be derived at the end, once however many of the
    /// batch's events touched it (a charge and its refund, say).
    let deferred: DeferredDerivations?

    init(db: Statements, settings: ApplySettings, deferred: DeferredDerivations? = nil) {
        self.db = db
        self.settings = settings
        self.deferred = deferred
    }

    mutating func apply(_ snapshot: EventSnapshot) throws -> ApplyOutcome {
        switch snapshot {
        case .customer(let s): try applyCustomer(s)
        case .charge(let c): try applyCharge(c)
        case .subscription(let s): try applySubscription(s)
        case .invoice(let i): try applyInvoice(i)
        case .invoicePayment(let link): try applyInvoicePayment(link)
        case .dispute(let d): try applyDispute(d)
        case .checkoutSession(let s): try applyCheckoutSession(s)
        case .promotionCode(let p): try applyPromotionCode(p)
        case .discount(let d): try applyDiscount(d)
        case .signup(let s, let version): try applySignup(s, version: version)
        case .partnerProfile(let p, let version): try applyPartnerProfile(p, version: version)
        case .settings(let s, let version): try applySettings(s, version: version)
        case .ruleChange(let r, let version): try applyRuleChange(r, version: version)
        case .rewardHold(let h, let version): try applyRewardHold(h, version: version)
        case .approval(let a, let version): try applyApproval(a, version: version)
        case .payout(let p, let version): try applyPayout(p, version: version)
        case .payoutMark(let m, let version): try applyPayoutMark(m, version: version)
        case .ignored: return .ignored
        }
        if settlesEachEvent { try settleLedger() }
        return .applied
    }

    // MARK: Customers

    private mutating func applyCustomer(_ s: CustomerSnapshot) throws {
        try db.run(
            Self.customerUpsert,
            s.id, s.version.created, s.version.rank, s.version.eventId, s.email, s.name,
            s.keys.customerKey, s.livemode, s.createdAt, s.deletedAt)
        if let key = s.keys.customerKey {
            try addSighting(
                key: key, customer: s.id, priority: 0, version: s.version, livemode: s.livemode,
                email: s.email, name: s.name)
        }
        if let partner = s.keys.partnerKey {
            try addEvidence(kind: "customer", identity: s.id, partner: partner, version: s.version, source: "stripe")
        }
        try recomputeCustomers(
            keys: [s.keys.customerKey].compactMap { $0 }, customers: [s.id],
            newPartner: s.keys.partnerKey)
        try noteDiscounts(s.promotionCodes, customer: s.id, version: s.version)
    }

    // MARK: Charges and invoices

    private mutating func applyCharge(_ c: ChargeSnapshot) throws {
        try db.run(
            Self.chargeUpsert,
            c.id, c.version.created, c.version.rank, c.version.eventId, c.status, c.amount, c.currency,
            c.customerId, c.keys.customerKey, c.keys.partnerKey, c.keys.productKey, c.invoiceId,
            c.paymentIntentId, c.livemode, c.createdAt, c.amountRefunded, c.reversed)
        try noteKeys(c.keys, customer: c.customerId, transaction: c.id, version: c.version, livemode: c.livemode)
        try recomputeTransactions(ofCharge: c.id)
    }

    /// The charge's transaction, and in invoice mode those of the invoices it paid.
    private func recomputeTransactions(ofCharge charge: String) throws {
        try deriveChargeTransaction(charge)
        // Only invoice mode counts invoices; in charge mode this lookup would find nothing to do.
        if settings.transactionSource == .invoice {
            for invoice in try invoices(paidBy: charge) { try recomputeInvoiceTransaction(invoice) }
        }
    }

    private mutating func applyInvoice(_ i: InvoiceSnapshot) throws {
        try db.run(
            Self.invoiceUpsert,
            i.id, i.version.created, i.version.rank, i.version.eventId, i.amountPaid, i.currency,
            i.customerId, i.keys.customerKey, i.keys.partnerKey, i.keys.productKey, i.livemode, i.paidAt)
        for payer in [i.chargeId, i.paymentIntentId].compactMap({ $0 }) {
            try linkPayment(invoice: i.id, payer: payer)
        }
        try noteKeys(i.keys, customer: i.customerId, transaction: i.id, version: i.version, livemode: i.livemode)
        try noteDiscounts(i.promotionCodes, customer: i.customerId, version: i.version)
        try recomputeInvoiceTransaction(i.id)
    }

    private mutating func applyInvoicePayment(_ link: InvoicePaymentLink) throws {
        for payer in [link.chargeId, link.paymentIntentId].compactMap({ $0 }) {
            try linkPayment(invoice: link.invoiceId, payer: payer)
        }
        try recomputeInvoiceTransaction(link.invoiceId)
    }

    private func linkPayment(invoice: String, payer: String) throws {
        try db.run("INSERT OR IGNORE INTO fact_invoice_payments (invoice_id, payer_id) VALUES (?, ?)", invoice, payer)
        // The charges it names are no longer one-off payments in invoice mode.
        for charge in try db.strings(
            "SELECT charge_id FROM fact_charges WHERE charge_id = ?1 OR payment_intent_id = ?1",
            payer)
        {
            try deriveChargeTransaction(charge)
        }
    }

    /// The keys on a charge, invoice, checkout session or subscription: a customer key creates or links its
    /// customer; a partner key is evidence for the customer, or for the
    /// transaction itself when it has no customer.
    private mutating func noteKeys(
        _ keys: AttributionKeys, customer: String?, transaction: String?,
        version: EventVersion, livemode: Bool, priority: Int = 2
    ) throws {
        if let key = keys.customerKey {
            try addSighting(key: key, customer: customer, priority: priority, version: version, livemode: livemode)
        }
        if let partner = keys.partnerKey {
            if let key = keys.customerKey {
                try addEvidence(kind: "key", identity: key, partner: partner, version: version, source: "stripe")
            } else if let customer {
                try addEvidence(kind: "customer", identity: customer, partner: partner, version: version, source: "stripe")
            } else if let transaction {
                try addEvidence(kind: "transaction", identity: transaction, partner: partner, version: version, source: "stripe")
            }
        }
        // A new customer key creates its customer; a partner key is evidence for it.
        if keys.customerKey != nil || (customer != nil && keys.partnerKey != nil) {
            try recomputeCustomers(
                keys: [keys.customerKey].compactMap { $0 }, customers: [customer].compactMap { $0 },
                newPartner: keys.partnerKey)
        }
    }

    // MARK: Checkout sessions

    /// Links the session's Stripe customer to its customer key and records its
    /// partner evidence at the event's time. It creates no transaction.
    private mutating func applyCheckoutSession(_ s: CheckoutSessionSnapshot) throws {
        if let why = s.undecodableReference { unresolved.append((kind: "gspk_undecodable", detail: "session \(s.id): \(why)")) }
        if !s.promotionCodes.isEmpty && s.customerId == nil {
            unresolved.append(
                (
                    kind: "session_without_customer",
                    detail: "session \(s.id) used a promotion code but names no customer"
                ))
        }
        try noteDiscounts(s.promotionCodes, customer: s.customerId, version: s.version)
        guard s.customerKey != nil || s.partnerKey != nil else { return }
        guard s.customerKey != nil || s.customerId != nil else {
            unresolved.append(
                (
                    kind: "session_without_customer",
                    detail: "session \(s.id) names partner \(s.partnerKey ?? "?") but no customer"
                ))
            return
        }
        try noteKeys(
            AttributionKeys(customerKey: s.customerKey, partnerKey: s.partnerKey), customer: s.customerId,
            transaction: nil, version: s.version, livemode: s.livemode)
    }

    // MARK: Disputes

    /// Keeps the dispute's newest snapshot and re-derives its charge's
    /// transaction (in invoice mode, the invoice's). A dispute whose charge has
    /// not arrived yet is kept until it does; the charge then reads it.
    private mutating func applyDispute(_ d: DisputeSnapshot) throws {
        try db.run(
            Self.disputeUpsert, d.id, d.version.created, d.version.rank, d.version.eventId, d.chargeId,
            d.paymentIntentId, d.amount, d.status, d.livemode)
        let charges = try db.strings(
            """
            SELECT charge_id FROM fact_charges WHERE charge_id = ?1 OR (?1 IS NULL AND payment_intent_id = ?2)
            """, d.chargeId, d.paymentIntentId)
        if charges.isEmpty {
            unresolved.append(
                (
                    kind: "dispute_charge",
                    detail: "dispute \(d.id) of an unknown charge \(d.chargeId ?? d.paymentIntentId ?? "?"), kept until it arrives"
                ))
        }
        for charge in charges { try recomputeTransactions(ofCharge: charge) }
    }

    // MARK: Subscriptions

    private mutating func applySubscription(_ s: SubscriptionSnapshot) throws {
        try db.run(
            Self.subscriptionUpsert,
            s.id, s.version.created, s.version.rank, s.version.eventId, s.customerId, s.status, s.priceId,
            s.productId, s.amount, s.currency, s.interval, s.currentPeriodEnd, s.cancelAtPeriodEnd,
            s.canceledAt, s.livemode, s.deleted)
        try recomputeSubscription(s.id)
        // Its metadata speaks for its customer, as the customer's own metadata does.
        if s.keys.customerKey != nil || s.keys.partnerKey != nil, let customer = s.customerId {
            try noteKeys(s.keys, customer: customer, transaction: nil, version: s.version, livemode: s.livemode, priority: 0)
        }
        try noteDiscounts(s.promotionCodes, customer: s.customerId, version: s.version)
    }

    // MARK: Local events (signups and partner profiles)

    private mutating func applySignup(_ s: LocalEvent.Signup, version: EventVersion) throws {
        try addSighting(
            key: s.customerKey, customer: nil, priority: 1, version: version, livemode: true,
            email: s.email, name: s.name)
        try addEvidence(kind: "key", identity: s.customerKey, partner: s.partnerKey, version: version, source: "signup")
        try recomputeCustomers(keys: [s.customerKey], customers: [], newPartner: s.partnerKey)
    }

    private mutating func applyPartnerProfile(_ p: LocalEvent.PartnerProfile, version: EventVersion) throws {
        try db.run(
            """
            INSERT INTO fact_partner_profiles (partner_key, v_created, v_event, name, email) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (partner_key) DO UPDATE SET
                name = iif((excluded.v_created, excluded.v_event) > (v_created, v_event), excluded.name, name),
                email = iif((excluded.v_created, excluded.v_event) > (v_created, v_event), excluded.email, email),
                v_event = iif((excluded.v_created, excluded.v_event) > (v_created, v_event), excluded.v_event, v_event),
                v_created = max(v_created, excluded.v_created)
            """, p.partnerKey, version.created, version.eventId, p.name, p.email)
        // The profile may have changed even when the earliest evidence did not.
        if try !addEvidence(kind: "partner", identity: p.partnerKey, partner: p.partnerKey, version: version, source: "admin") {
            try recomputePartner(p.partnerKey)
        }
        try applyPromotionCodeMappings(p, version: version)
        try recomputePromotionCodes(texts: p.promotionCodes)
    }

    // MARK: Facts shared by several events

    /// Records that a customer key was seen (with a Stripe customer, when the
    /// event names one): the key's earliest and latest sighting and latest
    /// signup, and the pair's best link, each kept only if it beats the one kept.
    private func addSighting(
        key: String, customer: String?, priority: Int, version: EventVersion, livemode: Bool,
        email: String? = nil, name: String? = nil
    ) throws {
        let signup = priority == 1
        try db.run(
            Self.keySightingUpsert, key, version.created, version.eventId, livemode,
            signup ? version.created : nil, signup ? version.eventId : nil,
            signup ? email : nil, signup ? name : nil)
        guard let customer else { return }
        try db.run(Self.keyLinkUpsert, key, customer, priority, version.created, version.eventId)
    }

    /// Records a partner key seen for an identity: for a customer key or a
    /// Stripe customer, its earliest evidence and latest time; for every
    /// identity, the partner's earliest evidence. Re-derives the partner's row
    /// when this is its earliest evidence (true). Otherwise the row, which
    /// depends only on the earliest evidence and the profile, cannot have changed.
    @discardableResult
    func addEvidence(
        kind: String, identity: String, partner: String, version: EventVersion,
        source: String
    ) throws -> Bool {
        if kind == "key" || kind == "customer" {
            try db.run(Self.identityPartnerUpsert, kind, identity, version.created, partner)
        }
        let earliest =
            try db.run(
                """
                INSERT INTO fact_partner_first (partner_key, at, source) VALUES (?, ?, ?)
                ON CONFLICT (partner_key) DO UPDATE SET at = excluded.at, source = excluded.source
                WHERE (excluded.at, excluded.source) < (at, source)
                """, partner, version.created, source) > 0
        if earliest { try recomputePartner(partner) }
        return earliest
    }

    /// Sorted, each once (`invoicesPaidByCharge` may name one twice).
    private func invoices(paidBy charge: String) throws -> [String] {
        Set(try db.strings(Self.invoicesPaidByCharge, charge)).sorted()
    }

    /// The invoices a charge paid: by the charge, by its payment intent, or named
    /// on the charge. Lookups joined by UNION ALL: SQLite serves an OR of two keys
    /// on this table (no rowid), and a UNION, with a temporary index on every run,
    /// and this runs for every charge in invoice mode.
    static let invoicesPaidByCharge = """
        SELECT invoice_id FROM fact_invoice_payments WHERE payer_id = ?1
        UNION ALL SELECT invoice_id FROM fact_invoice_payments
            WHERE payer_id = (SELECT payment_intent_id FROM fact_charges WHERE charge_id = ?1)
        UNION ALL SELECT invoice_id FROM fact_charges WHERE charge_id = ?1 AND invoice_id IS NOT NULL
        """
}
