import AttributionCore
import GRDB

/// Re-derivation of the public rows from the fact tables. Each function
/// rewrites the rows of the ids it is given from facts alone, so its result
/// does not depend on which event came last.
extension Projector {
    func recomputeChargeTransaction(_ chargeId: String) throws {
        guard let c = try db.one("SELECT * FROM fact_charges WHERE charge_id = ?", [chargeId]) else { return }
        let amount: Int64 = c["amount"]
        let refunded: Int64 = c["max_refunded"]
        var keep = c["status"] == "succeeded" && c["reversed"] == 0 && refunded < amount
        if settings.partialRefunds == .delete && refunded > 0 { keep = false }
        if keep && settings.transactionSource == .invoice {
            // In invoice mode a charge that paid an invoice is counted by the invoice.
            let paysInvoice = try c["invoice_id"] as String? != nil || db.one("""
                SELECT 1 FROM fact_invoice_payments WHERE payer_id = ? OR payer_id = ?
                """, [chargeId, c["payment_intent_id"] as String?]) != nil
            keep = !paysInvoice
        }
        guard keep else {
            try db.run("DELETE FROM transactions WHERE transaction_id = ? AND source = 'charge'", [chargeId])
            return
        }
        try upsertTransaction(
            id: chargeId, source: "charge", customer: c["stripe_customer_id"], customerKey: c["customer_key"],
            partner: c["partner_key"], product: c["product_key"], amount: amount, refunded: refunded,
            currency: c["currency"], livemode: c["livemode"], occurredAt: c["created_at"])
    }

    func recomputeInvoiceTransaction(_ invoiceId: String) throws {
        guard settings.transactionSource == .invoice else { return }
        guard let i = try db.one("SELECT * FROM fact_invoices WHERE invoice_id = ?", [invoiceId]) else { return }
        let amount: Int64 = i["amount_paid"]
        // Charges named as the invoice's payment: their failure or refund applies.
        let payers = try db.all("""
            SELECT reversed, max_refunded FROM fact_charges
            WHERE charge_id IN (SELECT payer_id FROM fact_invoice_payments WHERE invoice_id = ?1)
               OR payment_intent_id IN (SELECT payer_id FROM fact_invoice_payments WHERE invoice_id = ?1)
            """, [invoiceId])
        // Charges that only say they belong to the invoice (older API versions) may be
        // failed attempts; only their refunds apply.
        let attempts: Int64 = try Int64.fetchOne(db, sql: """
            SELECT coalesce(sum(max_refunded), 0) FROM fact_charges WHERE invoice_id = ?1
              AND charge_id NOT IN (SELECT payer_id FROM fact_invoice_payments WHERE invoice_id = ?1)
              AND ifnull(payment_intent_id, '') NOT IN (SELECT payer_id FROM fact_invoice_payments WHERE invoice_id = ?1)
            """, arguments: [invoiceId]) ?? 0
        // Saturating: absurd signed refunds must not trap the worker; any sum this large means fully refunded.
        let refunded = payers.reduce(attempts) { sum, payer in
            let (total, overflow) = sum.addingReportingOverflow(payer["max_refunded"] as Int64)
            return overflow ? .max : total
        }
        var keep = amount > 0 && !payers.contains { $0["reversed"] == 1 } && refunded < amount
        if settings.partialRefunds == .delete && refunded > 0 { keep = false }
        guard keep else {
            try db.run("DELETE FROM transactions WHERE transaction_id = ? AND source = 'invoice'", [invoiceId])
            return
        }
        try upsertTransaction(
            id: invoiceId, source: "invoice", customer: i["stripe_customer_id"], customerKey: i["customer_key"],
            partner: i["partner_key"], product: i["product_key"], amount: amount, refunded: refunded,
            currency: i["currency"], livemode: i["livemode"], occurredAt: i["paid_at"])
    }

    private func upsertTransaction(id: String, source: String, customer: String?, customerKey: String?,
                                   partner: String?, product: String?, amount: Int64, refunded: Int64,
                                   currency: String, livemode: Bool, occurredAt: Int64) throws {
        try db.run("""
            INSERT INTO transactions (transaction_id, source, stripe_customer_id, customer_key, partner_key,
                product_key, amount, amount_refunded, currency, livemode, occurred_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (transaction_id) DO UPDATE SET
                source = excluded.source, stripe_customer_id = excluded.stripe_customer_id,
                customer_key = excluded.customer_key, partner_key = excluded.partner_key,
                product_key = excluded.product_key, amount = excluded.amount,
                amount_refunded = excluded.amount_refunded, currency = excluded.currency,
                livemode = excluded.livemode, occurred_at = excluded.occurred_at
            """, [id, source, customer, customerKey, partner, product, amount, min(refunded, amount),
                  currency, livemode, Timestamp.iso(occurredAt)])
    }

    func recomputeSubscription(_ id: String) throws {
        guard let s = try db.one("SELECT * FROM fact_subscriptions WHERE subscription_id = ?", [id]),
              s["deleted"] == 0
        else {
            try db.run("DELETE FROM subscriptions WHERE subscription_id = ?", [id])
            return
        }
        try db.run("""
            INSERT OR REPLACE INTO subscriptions (subscription_id, stripe_customer_id, status, price_id, product_id,
                amount, currency, interval, current_period_end, cancel_at_period_end, canceled_at, livemode, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [id, s["stripe_customer_id"], s["status"], s["price_id"], s["product_id"], s["amount"] as Int64,
                  s["currency"], s["interval"], (s["current_period_end"] as Int64?).map(Timestamp.iso),
                  s["cancel_at_period_end"] as Int64, (s["canceled_at"] as Int64?).map(Timestamp.iso),
                  s["livemode"] as Int64, Timestamp.iso(s["v_created"])])
    }

    func recomputePartner(_ partner: String) throws {
        guard let first = try db.one("""
            SELECT at, source FROM fact_partner_evidence WHERE partner_key = ? ORDER BY at, source LIMIT 1
            """, [partner])
        else {
            try db.run("DELETE FROM partners WHERE partner_key = ?", [partner])
            return
        }
        let profile = try db.one("SELECT name, email FROM fact_partner_profiles WHERE partner_key = ?", [partner])
        // Written only when it changed: most events name a partner that is already known.
        try db.run("""
            INSERT INTO partners (partner_key, name, email, created_at, source) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (partner_key) DO UPDATE SET
                name = excluded.name, email = excluded.email, created_at = excluded.created_at, source = excluded.source
            WHERE (name, email, created_at, source) IS NOT (excluded.name, excluded.email, excluded.created_at, excluded.source)
            """, [partner, profile?["name"] as String?, profile?["email"] as String?,
                  Timestamp.iso(first["at"]), first["source"] as String])
    }
}
