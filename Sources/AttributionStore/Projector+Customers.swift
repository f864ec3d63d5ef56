import AttributionCore
import GRDB

/// Re-derivation of `customers` rows.
///
/// A customer is known by a customer key, a Stripe customer id, or both. The
/// link from a Stripe customer to its key is its best key sighting (the
/// customer object's own metadata first, then signups, then charges and
/// invoices; earliest first). The partner is the earliest partner evidence
/// for either identity. Rows for every identity linked to the touched ones
/// are rewritten, so merging a signup row with its Stripe customer gives the
/// same result whichever arrives first.
extension Projector {
    mutating func recomputeCustomers(keys: [String], customers: [String], newPartner: String?) throws {
        var keySet = Set(keys)
        var customerSet = Set(customers)
        try closeOverLinks(keys: &keySet, customers: &customerSet)

        for key in keySet {
            try db.run("DELETE FROM customers WHERE customer_key = ?", key)
        }
        for customer in customerSet {
            try db.run("DELETE FROM customers WHERE stripe_customer_id = ?", customer)
        }
        var placed = Set<String>()
        for key in keySet.sorted() {
            let customer = try customerLinked(toKey: key)
            if let customer { placed.insert(customer) }
            try insertCustomer(key: key, customer: customer, newPartner: newPartner)
        }
        for customer in customerSet.sorted() where !placed.contains(customer) {
            // A Stripe customer with no key of its own (or whose key belongs to another) stands alone.
            if try db.exists("SELECT 1 FROM fact_customers WHERE stripe_customer_id = ?", customer) {
                try insertCustomer(key: nil, customer: customer, newPartner: newPartner)
            }
        }
    }

    /// Adds every key and Stripe customer reachable through key sightings.
    private func closeOverLinks(keys: inout Set<String>, customers: inout Set<String>) throws {
        var pendingKeys = Array(keys)
        var pendingCustomers = Array(customers)
        while !pendingKeys.isEmpty || !pendingCustomers.isEmpty {
            if let customer = pendingCustomers.popLast() {
                if let key = try keyLinked(toCustomer: customer), keys.insert(key).inserted {
                    pendingKeys.append(key)
                }
            } else if let key = pendingKeys.popLast() {
                for customer in try db.strings("""
                    SELECT DISTINCT stripe_customer_id FROM fact_key_sightings
                    WHERE customer_key = ? AND stripe_customer_id IS NOT NULL
                    """, key) where customers.insert(customer).inserted {
                    pendingCustomers.append(customer)
                }
            }
        }
    }

    /// The key a Stripe customer is known by: its best sighting.
    func keyLinked(toCustomer customer: String) throws -> String? {
        try db.strings("""
            SELECT customer_key FROM fact_key_sightings WHERE stripe_customer_id = ?
            ORDER BY priority, at, ref LIMIT 1
            """, customer).first
    }

    /// The Stripe customer a key's row holds: the first, by its own link, whose best key is this one.
    private func customerLinked(toKey key: String) throws -> String? {
        let candidates = try db.strings("""
            SELECT stripe_customer_id FROM fact_key_sightings
            WHERE customer_key = ? AND stripe_customer_id IS NOT NULL
            ORDER BY priority, at, ref
            """, key)
        for candidate in candidates where try keyLinked(toCustomer: candidate) == key {
            return candidate
        }
        return nil
    }

    private mutating func insertCustomer(key: String?, customer: String?, newPartner: String?) throws {
        let snapshot = try customer.flatMap { try db.one(CustomerFact.select, $0, as: CustomerFact.init) }
        let sightings = try key.map { try db.all(KeySighting.select, $0, as: KeySighting.init) } ?? []
        let evidence = try db.all("""
            SELECT partner_key, at FROM fact_partner_evidence
            WHERE (identity_kind = 'key' AND identity = ?) OR (identity_kind = 'customer' AND identity = ?)
            ORDER BY at, partner_key
            """, key, customer) { (partner: try $0[0] as String, at: try $0[1] as Int64) }
        guard snapshot != nil || !sightings.isEmpty else { return }

        let partner = evidence.first?.partner
        if let newPartner, let partner, newPartner != partner {
            conflicts.append("customer \(key ?? customer ?? "?") stays with partner \(partner), not \(newPartner)")
        }
        let signup = sightings.last { $0.priority == 1 }
        let created = ([snapshot?.createdAt] + sightings.map(\.at)).compactMap { $0 }.min()!
        let updated = ([snapshot?.version] + sightings.map(\.at) + evidence.map(\.at)).compactMap { $0 }.max()!
        let livemode = snapshot?.livemode ?? sightings.first?.livemode ?? 1
        try db.run("""
            INSERT INTO customers (customer_key, stripe_customer_id, partner_key, email, name, livemode,
                                   created_at, updated_at, deleted_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, key, customer, partner, snapshot?.email ?? signup?.email, snapshot?.name ?? signup?.name,
                  livemode, Timestamp.iso(created), Timestamp.iso(updated), snapshot?.deletedAt.map(Timestamp.iso))
    }
}
