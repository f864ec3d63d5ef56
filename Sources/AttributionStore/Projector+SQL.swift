import AttributionCore

/// The upserts of the fact tables, each one merge rule written out in SQL.
///
/// A snapshot's fields come from the newest snapshot by event version
/// (`created`, then the type's rank, then the event id: `newer` below); the
/// other columns merge in ways that do not depend on order (min, max, a flag
/// that only turns on). An id that should never change but differs between
/// snapshots (some fixtures do that) keeps the least one seen, so even then
/// the result does not depend on order. In an `ON CONFLICT … DO UPDATE`, SQLite evaluates
/// every `SET` expression against the row as it was, so the version columns
/// can be updated alongside the fields they decide.
///
/// They are static constants: the worker finds each one's prepared statement
/// by the address of its text (see `Statements`).
extension Projector {
    /// `excluded` (the incoming snapshot) is newer than the stored one.
    static let newer = "((excluded.v_created, excluded.v_rank, excluded.v_event) > (v_created, v_rank, v_event))"
    /// The version columns follow the newer snapshot.
    static let newerVersion = """
        v_created = iif(\(newer), excluded.v_created, v_created),
        v_rank    = iif(\(newer), excluded.v_rank, v_rank),
        v_event   = iif(\(newer), excluded.v_event, v_event)
        """

    static let customerUpsert = """
        INSERT INTO fact_customers (stripe_customer_id, v_created, v_rank, v_event, email, name,
                                    customer_key, livemode, created_at, deleted_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (stripe_customer_id) DO UPDATE SET
            email        = iif(\(newer), excluded.email, email),
            name         = iif(\(newer), excluded.name, name),
            customer_key = iif(\(newer), excluded.customer_key, customer_key),
            livemode     = iif(\(newer), excluded.livemode, livemode),
            created_at   = min(created_at, excluded.created_at),
            deleted_at   = coalesce(max(deleted_at, excluded.deleted_at), deleted_at, excluded.deleted_at),
            \(newerVersion)
        """

    static let chargeUpsert = """
        INSERT INTO fact_charges (charge_id, v_created, v_rank, v_event, status, amount, currency,
            stripe_customer_id, customer_key, partner_key, product_key, invoice_id, payment_intent_id,
            livemode, created_at, max_refunded, reversed)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (charge_id) DO UPDATE SET
            status             = iif(\(newer), excluded.status, status),
            amount             = iif(\(newer), excluded.amount, amount),
            currency           = iif(\(newer), excluded.currency, currency),
            stripe_customer_id = iif(\(newer), excluded.stripe_customer_id, stripe_customer_id),
            customer_key       = iif(\(newer), excluded.customer_key, customer_key),
            partner_key        = iif(\(newer), excluded.partner_key, partner_key),
            product_key        = iif(\(newer), excluded.product_key, product_key),
            invoice_id         = coalesce(min(invoice_id, excluded.invoice_id), invoice_id, excluded.invoice_id),
            payment_intent_id  = coalesce(min(payment_intent_id, excluded.payment_intent_id), payment_intent_id,
                                          excluded.payment_intent_id),
            livemode           = iif(\(newer), excluded.livemode, livemode),
            created_at         = min(created_at, excluded.created_at),
            max_refunded       = max(max_refunded, excluded.max_refunded),
            reversed           = max(reversed, excluded.reversed),
            \(newerVersion)
        """

    static let invoiceUpsert = """
        INSERT INTO fact_invoices (invoice_id, v_created, v_rank, v_event, amount_paid, currency,
            stripe_customer_id, customer_key, partner_key, product_key, livemode, paid_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (invoice_id) DO UPDATE SET
            amount_paid        = iif(\(newer), excluded.amount_paid, amount_paid),
            currency           = iif(\(newer), excluded.currency, currency),
            stripe_customer_id = iif(\(newer), excluded.stripe_customer_id, stripe_customer_id),
            customer_key       = iif(\(newer), excluded.customer_key, customer_key),
            partner_key        = iif(\(newer), excluded.partner_key, partner_key),
            product_key        = iif(\(newer), excluded.product_key, product_key),
            livemode           = iif(\(newer), excluded.livemode, livemode),
            paid_at            = min(paid_at, excluded.paid_at),
            \(newerVersion)
        """

    static let subscriptionUpsert = """
        INSERT INTO fact_subscriptions (subscription_id, v_created, v_rank, v_event, stripe_customer_id, status,
            price_id, product_id, amount, currency, interval, current_period_end, cancel_at_period_end,
            canceled_at, livemode, deleted)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (subscription_id) DO UPDATE SET
            stripe_customer_id   = iif(\(newer), excluded.stripe_customer_id, stripe_customer_id),
            status               = iif(\(newer), excluded.status, status),
            price_id             = iif(\(newer), excluded.price_id, price_id),
            product_id           = iif(\(newer), excluded.product_id, product_id),
            amount               = iif(\(newer), excluded.amount, amount),
            currency             = iif(\(newer), excluded.currency, currency),
            interval             = iif(\(newer), excluded.interval, interval),
            current_period_end   = iif(\(newer), excluded.current_period_end, current_period_end),
            cancel_at_period_end = iif(\(newer), excluded.cancel_at_period_end, cancel_at_period_end),
            canceled_at          = iif(\(newer), excluded.canceled_at, canceled_at),
            livemode             = iif(\(newer), excluded.livemode, livemode),
            deleted              = max(deleted, excluded.deleted),
            \(newerVersion)
        """

    static let disputeUpsert = """
        INSERT INTO fact_disputes (dispute_id, v_created, v_rank, v_event, charge_id, payment_intent_id,
                                   amount, status, livemode)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (dispute_id) DO UPDATE SET
            charge_id         = coalesce(min(charge_id, excluded.charge_id), charge_id, excluded.charge_id),
            payment_intent_id = coalesce(min(payment_intent_id, excluded.payment_intent_id), payment_intent_id,
                                         excluded.payment_intent_id),
            amount            = iif(\(newer), excluded.amount, amount),
            status            = iif(\(newer), excluded.status, status),
            livemode          = iif(\(newer), excluded.livemode, livemode),
            \(newerVersion)
        """

    /// The disputed amount of the charge `c` of the enclosing query: the sum
    /// of its disputes that count, as sent. A subquery of the charge's own read
    /// (`ChargeFact`), so a charge's derivation asks SQLite one statement fewer.
    static let chargeDisputed = """
        (SELECT coalesce(sum(d.amount), 0) FROM fact_disputes AS d
         WHERE \(disputeCounts("d")) AND (d.charge_id = c.charge_id
               OR (d.charge_id IS NULL AND d.payment_intent_id = c.payment_intent_id)))
        """

    /// The disputed amount of an invoice: that of every charge that paid or tried to pay it.
    static let invoiceDisputed = """
        SELECT coalesce(sum(amount), 0) FROM fact_disputes
        WHERE \(disputeCounts("fact_disputes")) AND (
            charge_id IN (SELECT payer_id FROM fact_invoice_payments WHERE invoice_id = ?1
                          UNION SELECT charge_id FROM fact_charges WHERE invoice_id = ?1
                          UNION SELECT charge_id FROM fact_charges WHERE payment_intent_id IN
                                (SELECT payer_id FROM fact_invoice_payments WHERE invoice_id = ?1))
            OR payment_intent_id IN (SELECT payer_id FROM fact_invoice_payments WHERE invoice_id = ?1))
        """

    /// Whether the dispute `table` has a status that counts (`DisputeSnapshot.countingStatuses`).
    /// An `=`/`OR` chain: for `IN` with more than two constants SQLite builds
    /// a temporary table of the list every time the statement runs.
    private static func disputeCounts(_ table: String) -> String {
        "(" + DisputeSnapshot.countingStatuses.sorted().map { "\(table).status = '\($0)'" }.joined(separator: " OR ") + ")"
    }

    // MARK: Identities

    /// The incoming sighting is earlier than the key's earliest, by time then event id.
    private static let earlierSighting = "((excluded.first_at, excluded.first_ref) < (first_at, first_ref))"
    /// The incoming sighting is a signup later than the key's latest one.
    private static let laterSignup = """
        (excluded.signup_at IS NOT NULL \
        AND (signup_at IS NULL OR (excluded.signup_at, excluded.signup_ref) > (signup_at, signup_ref)))
        """

    /// A customer key seen: its earliest sighting (time, event id, livemode),
    /// its latest time, and its latest signup (time, event id, email, name).
    /// Values: key, time, event id, livemode, then the signup's time, event
    /// id, email and name (all NULL when the sighting is not a signup).
    static let keySightingUpsert = """
        INSERT INTO fact_keys (customer_key, first_at, first_ref, first_livemode, last_at,
                               signup_at, signup_ref, signup_email, signup_name)
        VALUES (?1, ?2, ?3, ?4, ?2, ?5, ?6, ?7, ?8)
        ON CONFLICT (customer_key) DO UPDATE SET
            first_livemode = iif(\(earlierSighting), excluded.first_livemode, first_livemode),
            first_ref      = iif(\(earlierSighting), excluded.first_ref, first_ref),
            first_at       = min(first_at, excluded.first_at),
            last_at        = max(last_at, excluded.last_at),
            signup_email   = iif(\(laterSignup), excluded.signup_email, signup_email),
            signup_name    = iif(\(laterSignup), excluded.signup_name, signup_name),
            signup_ref     = iif(\(laterSignup), excluded.signup_ref, signup_ref),
            signup_at      = iif(\(laterSignup), excluded.signup_at, signup_at)
        """

    /// A customer key seen with a Stripe customer: the pair's best link, by
    /// priority, then time, then event id.
    static let keyLinkUpsert = """
        INSERT INTO fact_key_links (customer_key, stripe_customer_id, priority, at, ref) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (customer_key, stripe_customer_id) DO UPDATE SET
            priority = excluded.priority, at = excluded.at, ref = excluded.ref
        WHERE (excluded.priority, excluded.at, excluded.ref) < (priority, at, ref)
        """

    /// A partner key seen for a customer key or a Stripe customer: its earliest
    /// partner by time, then partner key, and its latest time.
    static let identityPartnerUpsert = """
        INSERT INTO fact_identity_partners (identity_kind, identity, first_at, partner_key, last_at)
        VALUES (?1, ?2, ?3, ?4, ?3)
        ON CONFLICT (identity_kind, identity) DO UPDATE SET
            partner_key = iif((excluded.first_at, excluded.partner_key) < (first_at, partner_key),
                              excluded.partner_key, partner_key),
            first_at    = min(first_at, excluded.first_at),
            last_at     = max(last_at, excluded.last_at)
        """
}
