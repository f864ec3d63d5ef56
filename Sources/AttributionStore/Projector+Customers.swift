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
        var links = Links()
        var keySet = Set(keys)
        var customerSet = Set(customers)
        try closeOverLinks(keys: &keySet, customers: &customerSet, links: &links)

        // One statement per key and Stripe customer pair: SQLite serves the OR from both unique indexes.
        let keyList = keySet.sorted(), customerList = customerSet.sorted()
        for i in 0..<max(keyList.count, customerList.count) {
            try db.run("DELETE FROM customers WHERE customer_key = ? OR stripe_customer_id = ?",
                       i < keyList.count ? keyList[i] : nil, i < customerList.count ? customerList[i] : nil)
        }
        var placed = Set<String>()
        for key in keyList {
            let customer = try customerLinked(toKey: key, links: &links)
            if let customer { placed.insert(customer) }
            try insertCustomer(key: key, customer: customer, sightings: sightings(of: key, links: &links),
                               newPartner: newPartner)
        }
        for customer in customerList where !placed.contains(customer) {
            // A Stripe customer with no key of its own (or whose key belongs to another) stands alone.
            try insertCustomer(key: nil, customer: customer, sightings: [], newPartner: newPartner)
        }
    }

    /// Key sightings as one re-derivation reads them, each read once: the
    /// facts do not change while the rows are rewritten.
    struct Links {
        /// Every sighting of a customer key, oldest first.
        var sightings: [String: [KeySighting]] = [:]
        /// The key each Stripe customer is known by (nil: none).
        var keyOfCustomer: [String: String?] = [:]
    }

    private func sightings(of key: String, links: inout Links) throws -> [KeySighting] {
        if let known = links.sightings[key] { return known }
        let read = try db.all(KeySighting.select, key, as: KeySighting.init)
        links.sightings[key] = read
        return read
    }

    private func key(of customer: String, links: inout Links) throws -> String? {
        if let known = links.keyOfCustomer[customer] { return known }
        let key = try keyLinked(toCustomer: customer)
        links.keyOfCustomer[customer] = .some(key)
        return key
    }

    /// Adds every key and Stripe customer reachable through key sightings.
    private func closeOverLinks(keys: inout Set<String>, customers: inout Set<String>, links: inout Links) throws {
        var pendingKeys = Array(keys)
        var pendingCustomers = Array(customers)
        while !pendingKeys.isEmpty || !pendingCustomers.isEmpty {
            if let customer = pendingCustomers.popLast() {
                if let key = try key(of: customer, links: &links), keys.insert(key).inserted {
                    pendingKeys.append(key)
                }
            } else if let key = pendingKeys.popLast() {
                for sighting in try sightings(of: key, links: &links) {
                    if let customer = sighting.customerId, customers.insert(customer).inserted {
                        pendingCustomers.append(customer)
                    }
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
    private func customerLinked(toKey key: String, links: inout Links) throws -> String? {
        let candidates = try sightings(of: key, links: &links).sorted(by: KeySighting.byLink).compactMap(\.customerId)
        for candidate in candidates where try self.key(of: candidate, links: &links) == key {
            return candidate
        }
        return nil
    }

    private mutating func insertCustomer(key: String?, customer: String?, sightings: [KeySighting],
                                         newPartner: String?) throws {
        let snapshot = try customer.flatMap { try db.one(CustomerFact.select, $0, as: CustomerFact.init) }
        guard snapshot != nil || !sightings.isEmpty else { return }
        let evidence = try db.all("""
            SELECT partner_key, at FROM fact_partner_evidence
            WHERE (identity_kind = 'key' AND identity = ?) OR (identity_kind = 'customer' AND identity = ?)
            ORDER BY at, partner_key
            """, key, customer) { (partner: try $0[0] as String, at: try $0[1] as Int64) }

        let partner = evidence.first?.partner
        if let newPartner, let partner, newPartner != partner {
            conflicts.append("customer \(key ?? customer ?? "?") stays with partner \(partner), not \(newPartner)")
        }
        let signup = sightings.last { $0.priority == 1 }
        let created = ([snapshot?.createdAt] + sightings.map(\.at)).compactMap { $0 }.min()!
        // The deletion counts as an update: a deletion stub's own version is the lowest there is (CustomerSnapshot).
        let updated = ([snapshot?.version, snapshot?.deletedAt] + sightings.map(\.at) + evidence.map(\.at))
            .compactMap { $0 }.max()!
        let livemode = snapshot?.livemode ?? sightings.first?.livemode ?? 1
        try db.run("""
            INSERT INTO customers (customer_key, stripe_customer_id, partner_key, email, name, livemode,
                                   created_at, updated_at, deleted_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, key, customer, partner, snapshot?.email ?? signup?.email, snapshot?.name ?? signup?.name,
                  livemode, Timestamp.iso(created), Timestamp.iso(updated), snapshot?.deletedAt.map(Timestamp.iso))
    }
}
