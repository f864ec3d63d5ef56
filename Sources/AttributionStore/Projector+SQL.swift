import Foundation

/// The upserts of the fact tables. Each keeps the newest snapshot's fields
/// (by event version) and merges the order-independent ones (min, max, or).
extension Projector {
    static let customerUpsert = versioned("""
            INSERT INTO fact_customers (stripe_customer_id, v_created, v_rank, v_event, email, name,
                                        customer_key, livemode, created_at, deleted_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (stripe_customer_id) DO UPDATE SET
                email        = iif(newer, excluded.email, email),
                name         = iif(newer, excluded.name, name),
                customer_key = iif(newer, excluded.customer_key, customer_key),
                livemode     = iif(newer, excluded.livemode, livemode),
                created_at   = min(created_at, excluded.created_at),
                deleted_at   = coalesce(max(deleted_at, excluded.deleted_at), deleted_at, excluded.deleted_at)
            """)

    static let chargeUpsert = versioned("""
            INSERT INTO fact_charges (charge_id, v_created, v_rank, v_event, status, amount, currency,
                stripe_customer_id, customer_key, partner_key, product_key, invoice_id, payment_intent_id,
                livemode, created_at, max_refunded, reversed)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (charge_id) DO UPDATE SET
                status             = iif(newer, excluded.status, status),
                amount             = iif(newer, excluded.amount, amount),
                currency           = iif(newer, excluded.currency, currency),
                stripe_customer_id = iif(newer, excluded.stripe_customer_id, stripe_customer_id),
                customer_key       = iif(newer, excluded.customer_key, customer_key),
                partner_key        = iif(newer, excluded.partner_key, partner_key),
                product_key        = iif(newer, excluded.product_key, product_key),
                invoice_id         = coalesce(invoice_id, excluded.invoice_id),
                payment_intent_id  = coalesce(payment_intent_id, excluded.payment_intent_id),
                livemode           = iif(newer, excluded.livemode, livemode),
                created_at         = min(created_at, excluded.created_at),
                max_refunded       = max(max_refunded, excluded.max_refunded),
                reversed           = max(reversed, excluded.reversed)
            """)

    static let invoiceUpsert = versioned("""
            INSERT INTO fact_invoices (invoice_id, v_created, v_rank, v_event, amount_paid, currency,
                stripe_customer_id, customer_key, partner_key, product_key, livemode, paid_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (invoice_id) DO UPDATE SET
                amount_paid        = iif(newer, excluded.amount_paid, amount_paid),
                currency           = iif(newer, excluded.currency, currency),
                stripe_customer_id = iif(newer, excluded.stripe_customer_id, stripe_customer_id),
                customer_key       = iif(newer, excluded.customer_key, customer_key),
                partner_key        = iif(newer, excluded.partner_key, partner_key),
                product_key        = iif(newer, excluded.product_key, product_key),
                livemode           = iif(newer, excluded.livemode, livemode),
                paid_at            = min(paid_at, excluded.paid_at)
            """)

    static let subscriptionUpsert = versioned("""
            INSERT INTO fact_subscriptions (subscription_id, v_created, v_rank, v_event, stripe_customer_id, status,
                price_id, product_id, amount, currency, interval, current_period_end, cancel_at_period_end,
                canceled_at, livemode, deleted)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (subscription_id) DO UPDATE SET
                stripe_customer_id   = iif(newer, excluded.stripe_customer_id, stripe_customer_id),
                status               = iif(newer, excluded.status, status),
                price_id             = iif(newer, excluded.price_id, price_id),
                product_id           = iif(newer, excluded.product_id, product_id),
                amount               = iif(newer, excluded.amount, amount),
                currency             = iif(newer, excluded.currency, currency),
                interval             = iif(newer, excluded.interval, interval),
                current_period_end   = iif(newer, excluded.current_period_end, current_period_end),
                cancel_at_period_end = iif(newer, excluded.cancel_at_period_end, cancel_at_period_end),
                canceled_at          = iif(newer, excluded.canceled_at, canceled_at),
                livemode             = iif(newer, excluded.livemode, livemode),
                deleted              = max(deleted, excluded.deleted)
            """)

    /// Appends the version columns (taken from the newer snapshot) and replaces
    /// `newer` with the test that the incoming row (`excluded`) is that snapshot.
    private static func versioned(_ upsert: String) -> String {
        let version = ["v_created", "v_rank", "v_event"].map { "\($0) = iif(newer, excluded.\($0), \($0))" }
        return (upsert.trimmingCharacters(in: .whitespacesAndNewlines) + ",\n" + version.joined(separator: ",\n"))
            .replacingOccurrences(of: "newer", with: newerSQL)
    }

    /// `excluded` (the incoming snapshot) is newer than the stored one.
    static let newerSQL = "((excluded.v_created, excluded.v_rank, excluded.v_event) > (v_created, v_rank, v_event))"
}
