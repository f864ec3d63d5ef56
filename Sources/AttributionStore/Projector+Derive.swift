import AttributionCore
import GRDB

/// Re-derivation of the public rows from the fact tables. Each function
/// rewrites the rows of the ids it is given from facts alone, so its result
/// does not depend on which event came last.
extension Projector {
    /// Derives the charge's transaction now, or notes it for `deriveDeferred`
    /// when the batch settles once at its end.
    func deriveChargeTransaction(_ chargeId: String) throws {
        if let deferred { deferred.charges.insert(chargeId) } else { try recomputeChargeTransaction(chargeId) }
    }

    /// Derives what the batch's events deferred, before its ledger settles
    /// (the ledger reads the transactions). Each derivation reads facts only,
    /// so once at the end gives what once per event would have.
    func deriveDeferred() throws {
        guard let deferred else { return }
        for charge in deferred.charges.sorted() { try recomputeChargeTransaction(charge) }
        deferred.charges.removeAll()
    }

    func recomputeChargeTransaction(_ chargeId: String) throws {
        guard let c = try db.one(ChargeFact.select, chargeId, as: ChargeFact.init) else { return }
        var keep = c.status == "succeeded" && !c.reversed && c.maxRefunded < c.amount
        if settings.partialRefunds == .delete && c.maxRefunded > 0 { keep = false }
        if keep && settings.transactionSource == .invoice {
            // In invoice mode a charge that paid an invoice is counted by the invoice.
            let paysInvoice = try c.invoiceId != nil || db.exists(Self.chargePaysInvoice, chargeId, c.paymentIntentId)
            keep = !paysInvoice
        }
        guard keep else {
            try db.run("DELETE FROM transactions WHERE transaction_id = ? AND source = 'charge'", chargeId)
            return
        }
        try upsertTransaction(
            id: chargeId, source: "charge", customer: c.customerId, customerKey: c.customerKey,
            partner: c.partnerKey, product: c.productKey, amount: c.amount, refunded: c.maxRefunded,
            disputed: c.disputed, currency: c.currency, livemode: c.livemode, occurredAt: c.createdAt)
    }

    /// Whether a charge (first value) or its payment intent (second) paid an
    /// invoice. Two lookups joined by UNION ALL: an OR of two keys on this table
    /// (no rowid) builds a temporary index on every run.
    static let chargePaysInvoice = """
        SELECT 1 FROM fact_invoice_payments WHERE payer_id = ?1
        UNION ALL SELECT 1 FROM fact_invoice_payments WHERE payer_id = ?2
        """

    func recomputeInvoiceTransaction(_ invoiceId: String) throws {
        guard settings.transactionSource == .invoice else { return }
        guard let i = try db.one(InvoiceFact.select, invoiceId, as: InvoiceFact.init) else { return }
        // Charges named as the invoice's payment: their failure or refund applies.
        let payers = try db.all(
            """
            SELECT reversed, max_refunded FROM fact_charges
            WHERE charge_id IN (SELECT payer_id FROM fact_invoice_payments WHERE invoice_id = ?1)
               OR payment_intent_id IN (SELECT payer_id FROM fact_invoice_payments WHERE invoice_id = ?1)
            """, invoiceId
        ) { (reversed: try $0[0] as Bool, refunded: try $0[1] as Int64) }
        // Charges that only say they belong to the invoice (older API versions) may be
        // failed attempts; only their refunds apply.
        let attempts: Int64 =
            try db.one(
                """
                SELECT coalesce(sum(max_refunded), 0) FROM fact_charges WHERE invoice_id = ?1
                  AND charge_id NOT IN (SELECT payer_id FROM fact_invoice_payments WHERE invoice_id = ?1)
                  AND ifnull(payment_intent_id, '') NOT IN (SELECT payer_id FROM fact_invoice_payments WHERE invoice_id = ?1)
                """, invoiceId
            ) { try $0[0] as Int64 } ?? 0
        // Saturating: absurd signed refunds must not trap the worker; any sum this large means fully refunded.
        let refunded = payers.reduce(attempts) { sum, payer in
            let (total, overflow) = sum.addingReportingOverflow(payer.refunded)
            return overflow ? .max : total
        }
        var keep = i.amountPaid > 0 && !payers.contains { $0.reversed } && refunded < i.amountPaid
        if settings.partialRefunds == .delete && refunded > 0 { keep = false }
        guard keep else {
            try db.run("DELETE FROM transactions WHERE transaction_id = ? AND source = 'invoice'", invoiceId)
            return
        }
        let disputed = try db.one(Self.invoiceDisputed, invoiceId) { try $0[0] as Int64 } ?? 0
        try upsertTransaction(
            id: invoiceId, source: "invoice", customer: i.customerId, customerKey: i.customerKey,
            partner: i.partnerKey, product: i.productKey, amount: i.amountPaid, refunded: refunded,
            disputed: disputed, currency: i.currency, livemode: i.livemode, occurredAt: i.paidAt)
    }

    private func upsertTransaction(
        id: String, source: String, customer: String?, customerKey: String?,
        partner: String?, product: String?, amount: Int64, refunded: Int64, disputed: Int64,
        currency: String, livemode: Bool, occurredAt: Int64
    ) throws {
        try db.run(
            """
            INSERT INTO transactions (transaction_id, source, stripe_customer_id, customer_key, partner_key,
                product_key, amount, amount_refunded, amount_disputed, currency, livemode, occurred_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (transaction_id) DO UPDATE SET
                source = excluded.source, stripe_customer_id = excluded.stripe_customer_id,
                customer_key = excluded.customer_key, partner_key = excluded.partner_key,
                product_key = excluded.product_key, amount = excluded.amount,
                amount_refunded = excluded.amount_refunded, amount_disputed = excluded.amount_disputed,
                currency = excluded.currency,
                livemode = excluded.livemode, occurred_at = excluded.occurred_at
            """, id, source, customer, customerKey, partner, product, amount, min(refunded, amount), disputed,
            currency, livemode, Timestamp.iso(occurredAt))
    }

    func recomputeSubscription(_ id: String) throws {
        guard let s = try db.one(SubscriptionFact.select, id, as: SubscriptionFact.init), !s.deleted else {
            try db.run("DELETE FROM subscriptions WHERE subscription_id = ?", id)
            return
        }
        try db.run(
            """
            INSERT OR REPLACE INTO subscriptions (subscription_id, stripe_customer_id, status, price_id, product_id,
                amount, currency, interval, current_period_end, cancel_at_period_end, canceled_at, livemode, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, id, s.customerId, s.status, s.priceId, s.productId, s.amount, s.currency, s.interval,
            s.currentPeriodEnd.map(Timestamp.iso), s.cancelAtPeriodEnd, s.canceledAt.map(Timestamp.iso),
            s.livemode, Timestamp.iso(s.version))
    }

    func recomputePartner(_ partner: String) throws {
        // Its earliest evidence and its profile, in one read.
        guard
            let first = try db.one(
                """
                SELECT f.at, f.source, p.name, p.email
                FROM fact_partner_first AS f LEFT JOIN fact_partner_profiles AS p ON p.partner_key = f.partner_key
                WHERE f.partner_key = ?
                """, partner,
                as: {
                    (
                        at: try $0[0] as Int64, source: try $0[1] as String,
                        name: try $0[2] as String?, email: try $0[3] as String?
                    )
                })
        else {
            try db.run("DELETE FROM partners WHERE partner_key = ?", partner)
            return
        }
        // Written only when it changed: most events name a partner that is already known.
        try db.run(
            """
            INSERT INTO partners (partner_key, name, email, created_at, source) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (partner_key) DO UPDATE SET
                name = excluded.name, email = excluded.email, created_at = excluded.created_at, source = excluded.source
            WHERE (name, email, created_at, source) IS NOT (excluded.name, excluded.email, excluded.created_at, excluded.source)
            """, partner, first.name, first.email, Timestamp.iso(first.at), first.source)
    }
}
