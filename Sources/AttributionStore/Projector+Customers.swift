import AttributionCore
import GRDB

/// Re-derivation of `customers` rows.
///
/// A customer is known by a customer key, a Stripe customer id, or both. A
/// Stripe customer is known by the key of its best link (the customer
/// object's own metadata first, then signups, then charges and invoices;
/// earliest first). The partner is the earliest partner evidence for either
/// identity. The rows of every identity linked to the touched ones are
/// derived again, so merging a signup row with its Stripe customer gives the
/// same result whichever arrives first.
///
/// Everything read here is one row per identity or per (key, Stripe customer)
/// pair (`fact_keys`, `fact_key_links`, `fact_identity_partners`,
/// `fact_customers`), kept as running merges as events arrive: the cost of an
/// event does not depend on how many events came before it for the same
/// identity, only on how many Stripe customers its keys were seen with.
extension Projector {
    mutating func recomputeCustomers(keys: [String], customers: [String], newPartner: String?) throws {
        var links = Links(db: db)
        let (keyList, customerList) = try links.closure(keys: keys, customers: customers)
        var wanted: [DerivedCustomer] = []
        var placed = Set<String>()
        for key in keyList {
            let customer = try links.customer(ofKey: key)
            if let customer { placed.insert(customer) }
            if let row = try customerRow(key: key, customer: customer, newPartner: newPartner) { wanted.append(row) }
        }
        for customer in customerList where !placed.contains(customer) {
            // A Stripe customer with no key of its own (or whose key belongs to another) stands alone.
            if let row = try customerRow(key: nil, customer: customer, newPartner: newPartner) { wanted.append(row) }
        }
        conflicts += try CustomerRows(db: db).replace(keys: keyList, customers: customerList, with: wanted)
    }

    /// The row of one identity pair from its merged facts, or nil when nothing
    /// is known of it yet (a Stripe customer named by a charge before its own event).
    private mutating func customerRow(key: String?, customer: String?, newPartner: String?) throws -> DerivedCustomer? {
        let snapshot = try customer.flatMap { try db.one(CustomerFact.select, $0, as: CustomerFact.init) }
        let keyFact = try key.flatMap { try db.one(KeyFact.select, $0, as: KeyFact.init) }
        guard snapshot != nil || keyFact != nil else { return nil }
        let evidence = try db.all(PartnerFact.select, key, customer, as: PartnerFact.init)
        let partner = evidence.min(by: PartnerFact.isEarlier)?.partnerKey
        if let newPartner, let partner, newPartner != partner {
            conflicts.append("customer \(key ?? customer ?? "?") stays with partner \(partner), not \(newPartner)")
        }
        let created = [snapshot?.createdAt, keyFact?.firstAt].compactMap { $0 }.min()!
        // The deletion counts as an update: a deletion stub's own version is the lowest there is (CustomerSnapshot).
        let updated = ([snapshot?.version, snapshot?.deletedAt, keyFact?.lastAt] + evidence.map(\.lastAt))
            .compactMap { $0 }.max()!
        return DerivedCustomer(
            key: key, customer: customer, partner: partner,
            email: snapshot?.email ?? keyFact?.signupEmail, name: snapshot?.name ?? keyFact?.signupName,
            livemode: snapshot?.livemode ?? keyFact?.firstLivemode ?? 1,
            createdAt: Timestamp.iso(created), updatedAt: Timestamp.iso(updated),
            deletedAt: snapshot?.deletedAt.map(Timestamp.iso))
    }

    /// The links between keys and Stripe customers, each read once per re-derivation.
    struct Links {
        let db: Statements
        /// The Stripe customers a key was seen with, best link first.
        private var customersOfKey: [String: [String]] = [:]
        /// The key each Stripe customer is known by (nil: none).
        private var keyOfCustomer: [String: String?] = [:]

        init(db: Statements) { self.db = db }

        mutating func customers(ofKey key: String) throws -> [String] {
            if let known = customersOfKey[key] { return known }
            let read = try db.strings(
                """
                SELECT stripe_customer_id FROM fact_key_links WHERE customer_key = ? ORDER BY priority, at, ref
                """, key)
            customersOfKey[key] = read
            return read
        }

        /// The key a Stripe customer is known by: that of its best link.
        mutating func key(ofCustomer customer: String) throws -> String? {
            if let known = keyOfCustomer[customer] { return known }
            let key = try db.strings(
                """
                SELECT customer_key FROM fact_key_links WHERE stripe_customer_id = ?
                ORDER BY priority, at, ref LIMIT 1
                """, customer
            ).first
            keyOfCustomer[customer] = .some(key)
            return key
        }

        /// The Stripe customer a key's row holds: the first, by its own link, known by this key.
        mutating func customer(ofKey key: String) throws -> String? {
            for candidate in try customers(ofKey: key) where try self.key(ofCustomer: candidate) == key {
                return candidate
            }
            return nil
        }

        /// Every key and Stripe customer reachable from the given ones through links, sorted.
        mutating func closure(keys: [String], customers: [String]) throws -> (keys: [String], customers: [String]) {
            var keySet = Set(keys)
            var customerSet = Set(customers)
            var pendingKeys = keys
            var pendingCustomers = customers
            while !pendingKeys.isEmpty || !pendingCustomers.isEmpty {
                if let customer = pendingCustomers.popLast() {
                    if let key = try key(ofCustomer: customer), keySet.insert(key).inserted { pendingKeys.append(key) }
                } else if let key = pendingKeys.popLast() {
                    for customer in try self.customers(ofKey: key) where customerSet.insert(customer).inserted {
                        pendingCustomers.append(customer)
                    }
                }
            }
            return (keySet.sorted(), customerSet.sorted())
        }
    }
}
