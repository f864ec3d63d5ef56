import AttributionCore

/// Promotion codes: a partner's code attributes the customers who use it.
///
/// Whether a code is a partner's is judged on its current state (the newest
/// snapshot's `metadata.partner_key`, else the administrator's mapping of its
/// text), and a discount is evidence at its own time. The discounts are kept in
/// `fact_discounts`, apart from the running merges of other evidence, because a
/// code can change hands: then the customers who used it are derived again
/// (`customerRow` reads their discounts through `promotion_codes`). A code's
/// change costs one pass over its own customers; a charge or a discount costs
/// the same however many customers used the code.
extension Projector {
    static let promotionCodeUpsert = """
        INSERT INTO fact_promotion_codes (promotion_code_id, v_created, v_rank, v_event, code,
                                          metadata_partner_key, livemode)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (promotion_code_id) DO UPDATE SET
            code                 = iif(\(newer), excluded.code, code),
            metadata_partner_key = iif(\(newer), excluded.metadata_partner_key, metadata_partner_key),
            livemode             = iif(\(newer), excluded.livemode, livemode),
            \(newerVersion)
        """

    static let mappingUpsert = """
        INSERT INTO fact_promotion_code_mappings (code, partner_key, v_created, v_event) VALUES (?, ?, ?, ?)
        ON CONFLICT (code) DO UPDATE SET
            partner_key = excluded.partner_key, v_created = excluded.v_created, v_event = excluded.v_event
        WHERE (excluded.v_created, excluded.v_event) > (v_created, v_event)
        """

    static let discountUpsert = """
        INSERT INTO fact_discounts (stripe_customer_id, promotion_code_id, first_at, last_at) VALUES (?, ?, ?, ?)
        ON CONFLICT (stripe_customer_id, promotion_code_id) DO UPDATE SET
            first_at = min(first_at, excluded.first_at), last_at = max(last_at, excluded.last_at)
        """

    /// The partner evidence of a Stripe customer (`?2`) from its discounts whose code is a partner's,
    /// as `PartnerFact` rows; part of `PartnerFact.select`.
    static let discountEvidence = """
        SELECT d.first_at, p.partner_key, d.last_at
        FROM fact_discounts AS d JOIN promotion_codes AS p ON p.promotion_code_id = d.promotion_code_id
        WHERE d.stripe_customer_id = ?2 AND p.partner_key IS NOT NULL
        """

    mutating func applyPromotionCode(_ p: PromotionCodeSnapshot) throws {
        try db.run(
            Self.promotionCodeUpsert, p.id, p.version.created, p.version.rank, p.version.eventId, p.code,
            p.partnerKey, p.livemode)
        if let partner = p.partnerKey {
            // The partner is known from the code on, as from any other Stripe evidence.
            try addEvidence(kind: "promotion_code", identity: p.id, partner: partner, version: p.version, source: "stripe")
        }
        try recomputePromotionCode(p.id)
    }

    /// `partners add KEY --promotion-code CODE`: the codes with that text belong to the partner
    /// unless their own metadata names another.
    func applyPromotionCodeMappings(_ profile: LocalEvent.PartnerProfile, version: EventVersion) throws {
        for code in profile.promotionCodes {
            try db.run(Self.mappingUpsert, code, profile.partnerKey, version.created, version.eventId)
        }
    }

    /// Re-derives the codes with one of these texts (after a mapping changed).
    mutating func recomputePromotionCodes(texts: [String]) throws {
        for code in texts {
            for id in try db.strings("SELECT promotion_code_id FROM fact_promotion_codes WHERE code = ?", code) {
                try recomputePromotionCode(id)
            }
        }
    }

    /// Rewrites the public row of a code; when its partner changed, the customers who used it are derived again.
    mutating func recomputePromotionCode(_ id: String) throws {
        guard
            let fact = try db.one(
                """
                SELECT f.code, coalesce(f.metadata_partner_key, m.partner_key), f.livemode
                FROM fact_promotion_codes AS f LEFT JOIN fact_promotion_code_mappings AS m ON m.code = f.code
                WHERE f.promotion_code_id = ?
                """, id, as: { (code: try $0[0] as String?, partner: try $0[1] as String?, livemode: try $0[2] as Int64) })
        else { return }
        let before = try db.one("SELECT partner_key FROM promotion_codes WHERE promotion_code_id = ?", id) {
            try $0[0] as String?
        }
        try db.run(
            """
            INSERT INTO promotion_codes (promotion_code_id, code, partner_key, livemode) VALUES (?, ?, ?, ?)
            ON CONFLICT (promotion_code_id) DO UPDATE SET
                code = excluded.code, partner_key = excluded.partner_key, livemode = excluded.livemode
            WHERE (code, partner_key, livemode) IS NOT (excluded.code, excluded.partner_key, excluded.livemode)
            """, id, fact.code, fact.partner, fact.livemode)
        // A new row and a row without a partner are alike here: nothing to redo unless the partner differs.
        guard (before ?? nil) != fact.partner else { return }
        let customers = try db.strings("SELECT stripe_customer_id FROM fact_discounts WHERE promotion_code_id = ?", id)
        if !customers.isEmpty { try recomputeCustomers(keys: [], customers: customers, newPartner: nil) }
    }

    /// A customer's discount (`customer.discount.*`).
    mutating func applyDiscount(_ d: DiscountSnapshot) throws {
        guard let code = d.promotionCode else { return }
        guard let customer = d.customerId else {
            unresolved.append(
                (
                    kind: "discount_without_customer",
                    detail: "a discount with promotion code \(code.id) names no customer"
                ))
            return
        }
        try noteDiscounts([code], customer: customer, version: d.version)
    }

    /// Records the promotion codes a customer used (a discount, or one embedded in a customer,
    /// subscription, invoice or Checkout session) and derives the customer again.
    mutating func noteDiscounts(_ codes: [PromotionCodeRef], customer: String?, version: EventVersion) throws {
        guard !codes.isEmpty, let customer else { return }
        var partners: [String] = []
        for code in codes {
            if let snapshot = code.snapshot { try applyPromotionCode(snapshot) }
            try db.run(Self.discountUpsert, customer, code.id, version.created, version.created)
            let partner = try db.one("SELECT partner_key FROM promotion_codes WHERE promotion_code_id = ?", code.id) {
                try $0[0] as String?
            }
            switch partner {
            case .none:
                unresolved.append(
                    (
                        kind: "promotion_code",
                        detail: "customer \(customer) used promotion code \(code.id), not known yet; kept until it arrives"
                    ))
            case .some(.some(let key)): partners.append(key)
            case .some(.none): break
            }
        }
        try recomputeCustomers(keys: [], customers: [customer], newPartner: partners.first)
    }
}
