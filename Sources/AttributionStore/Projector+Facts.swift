/// Fact rows as re-derivation reads them, decoded by column position.
///
/// Each type names its columns once, in the order `init(_:)` reads them.
/// The worker reads rows through `Columns` (see `Statements.swift`), by
/// position, without building a GRDB `Row` and its column-name dictionary.
extension Projector {
    struct ChargeFact {
        static let select = """
            SELECT status, amount, max_refunded, reversed, invoice_id, payment_intent_id, stripe_customer_id,
                   customer_key, partner_key, product_key, currency, livemode, created_at, \(Projector.chargeDisputed)
            FROM fact_charges AS c WHERE charge_id = ?
            """
        var status: String, amount: Int64, maxRefunded: Int64, reversed: Bool
        var invoiceId: String?, paymentIntentId: String?, customerId: String?
        var customerKey: String?, partnerKey: String?, productKey: String?
        var currency: String, livemode: Bool, createdAt: Int64
        /// What its disputes that count hold back.
        var disputed: Int64

        init(_ r: Columns) throws {
            (status, amount, maxRefunded, reversed) = try (r[0], r[1], r[2], r[3])
            (invoiceId, paymentIntentId, customerId) = try (r[4], r[5], r[6])
            (customerKey, partnerKey, productKey) = try (r[7], r[8], r[9])
            (currency, livemode, createdAt, disputed) = try (r[10], r[11], r[12], r[13])
        }
    }

    struct InvoiceFact {
        static let select = """
            SELECT amount_paid, stripe_customer_id, customer_key, partner_key, product_key, currency, livemode, paid_at
            FROM fact_invoices WHERE invoice_id = ?
            """
        var amountPaid: Int64, customerId: String?, customerKey: String?, partnerKey: String?, productKey: String?
        var currency: String, livemode: Bool, paidAt: Int64

        init(_ r: Columns) throws {
            (amountPaid, customerId, customerKey, partnerKey, productKey) = try (r[0], r[1], r[2], r[3], r[4])
            (currency, livemode, paidAt) = try (r[5], r[6], r[7])
        }
    }

    struct SubscriptionFact {
        static let select = """
            SELECT deleted, stripe_customer_id, status, price_id, product_id, amount, currency, interval,
                   current_period_end, cancel_at_period_end, canceled_at, livemode, v_created
            FROM fact_subscriptions WHERE subscription_id = ?
            """
        var deleted: Bool, customerId: String?, status: String, priceId: String?, productId: String?
        var amount: Int64, currency: String?, interval: String?, currentPeriodEnd: Int64?
        var cancelAtPeriodEnd: Int64, canceledAt: Int64?, livemode: Int64, version: Int64

        init(_ r: Columns) throws {
            (deleted, customerId, status, priceId, productId) = try (r[0], r[1], r[2], r[3], r[4])
            (amount, currency, interval, currentPeriodEnd) = try (r[5], r[6], r[7], r[8])
            (cancelAtPeriodEnd, canceledAt, livemode, version) = try (r[9], r[10], r[11], r[12])
        }
    }

    struct CustomerFact {
        static let select = """
            SELECT email, name, livemode, created_at, v_created, deleted_at
            FROM fact_customers WHERE stripe_customer_id = ?
            """
        var email: String?, name: String?, livemode: Int64, createdAt: Int64, version: Int64, deletedAt: Int64?

        init(_ r: Columns) throws {
            (email, name, livemode, createdAt, version, deletedAt) = try (r[0], r[1], r[2], r[3], r[4], r[5])
        }
    }

    /// What is known of a customer key (`fact_keys`).
    struct KeyFact {
        static let select = """
            SELECT first_at, first_livemode, last_at, signup_email, signup_name FROM fact_keys WHERE customer_key = ?
            """
        var firstAt: Int64, firstLivemode: Int64, lastAt: Int64, signupEmail: String?, signupName: String?

        init(_ r: Columns) throws {
            (firstAt, firstLivemode, lastAt, signupEmail, signupName) = try (r[0], r[1], r[2], r[3], r[4])
        }
    }

    /// The earliest partner evidence of a customer key or a Stripe customer
    /// (`fact_identity_partners`), or of a Stripe customer's partner discounts.
    struct PartnerFact {
        /// The rows of a key (first value) and of a Stripe customer (second value), then
        /// those of the Stripe customer's discounts: one statement for all of a row's evidence.
        /// Lookups joined by `UNION ALL`, not one `OR`: on this table (no rowid) SQLite
        /// serves an `OR` of two keys with a temporary index that removes duplicates.
        static let select = """
            SELECT first_at, partner_key, last_at FROM fact_identity_partners WHERE identity_kind = 'key' AND identity = ?1
            UNION ALL
            SELECT first_at, partner_key, last_at FROM fact_identity_partners WHERE identity_kind = 'customer' AND identity = ?2
            UNION ALL
            """ + "\n" + Projector.discountEvidence
        var firstAt: Int64, partnerKey: String, lastAt: Int64

        init(_ r: Columns) throws {
            (firstAt, partnerKey, lastAt) = try (r[0], r[1], r[2])
        }

        /// First by time, then by partner key compared byte by byte, as SQLite orders text.
        static func isEarlier(_ a: PartnerFact, _ b: PartnerFact) -> Bool {
            if a.firstAt != b.firstAt { return a.firstAt < b.firstAt }
            return a.partnerKey.utf8.lexicographicallyPrecedes(b.partnerKey.utf8)
        }
    }
}
