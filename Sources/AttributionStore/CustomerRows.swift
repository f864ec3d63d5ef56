import GRDB

/// A `customers` row as re-derivation computes it.
struct DerivedCustomer: Equatable {
    var key: String?, customer: String?, partner: String?, email: String?, name: String?
    var livemode: Int64, createdAt: String, updatedAt: String, deletedAt: String?

    /// The unique values the row holds (a key, a Stripe customer id, or both).
    var identities: [String] { [key.map { "k:" + $0 }, customer.map { "c:" + $0 }].compactMap { $0 } }
}

/// Writes the derived rows of a set of linked identities in place.
///
/// Rows keep their `id`: a row whose key and Stripe customer stay the same is
/// updated only when a value changed, and a row that gains or loses an
/// identity (a signup row joined by its Stripe customer) is updated rather
/// than deleted and inserted again. Only when two rows trade identities (a key
/// moving between Stripe customers) would an update collide with a row not yet
/// rewritten; such a row is deleted and inserted instead.
struct CustomerRows {
    let db: Statements

    /// Returns the partners that lost a customer to earlier-dated evidence (a
    /// row's partner changed from one to another), for the conflict log.
    @discardableResult
    func replace(keys: [String], customers: [String], with wanted: [DerivedCustomer]) throws -> [String] {
        let existing = try read(keys: keys, customers: customers)
        var moved: [String] = []
        for row in wanted {
            let before = existing.values.first {
                ($0.key != nil && $0.key == row.key) || ($0.customer != nil && $0.customer == row.customer)
            }
            if let old = before?.partner, let new = row.partner, old != new {
                moved.append("customer \(row.key ?? row.customer ?? "?") moves from partner \(old) to \(new), whose evidence is earlier")
            }
        }
        var plan = Plan(existing: existing, wanted: wanted)
        plan.resolveCollisions()
        for id in plan.deletions { try db.run("DELETE FROM customers WHERE id = ?", id) }
        for (id, row) in plan.updates { try update(id, to: row) }
        for row in plan.insertions { try insert(row) }
        return moved
    }

    /// Every row holding one of the identities, by id. One statement per pair:
    /// SQLite serves the OR from both unique indexes.
    private func read(keys: [String], customers: [String]) throws -> [Int64: DerivedCustomer] {
        var rows: [Int64: DerivedCustomer] = [:]
        for i in 0..<max(keys.count, customers.count) {
            let found = try db.all(
                """
                SELECT id, customer_key, stripe_customer_id, partner_key, email, name, livemode,
                       created_at, updated_at, deleted_at
                FROM customers WHERE customer_key = ? OR stripe_customer_id = ?
                """, i < keys.count ? keys[i] : nil, i < customers.count ? customers[i] : nil
            ) { c in
                (
                    id: try c[0] as Int64,
                    row: DerivedCustomer(
                        key: try c[1], customer: try c[2], partner: try c[3], email: try c[4], name: try c[5],
                        livemode: try c[6], createdAt: try c[7], updatedAt: try c[8], deletedAt: try c[9])
                )
            }
            for (id, row) in found { rows[id] = row }
        }
        return rows
    }

    private func update(_ id: Int64, to r: DerivedCustomer) throws {
        try db.run(
            """
            UPDATE customers SET customer_key = ?, stripe_customer_id = ?, partner_key = ?, email = ?, name = ?,
                                 livemode = ?, created_at = ?, updated_at = ?, deleted_at = ?
            WHERE id = ?
            """, r.key, r.customer, r.partner, r.email, r.name, r.livemode, r.createdAt, r.updatedAt, r.deletedAt, id)
    }

    private func insert(_ r: DerivedCustomer) throws {
        try db.run(
            """
            INSERT INTO customers (customer_key, stripe_customer_id, partner_key, email, name, livemode,
                                   created_at, updated_at, deleted_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, r.key, r.customer, r.partner, r.email, r.name, r.livemode, r.createdAt, r.updatedAt, r.deletedAt)
    }

    /// Which existing row each wanted row takes over, and what goes.
    struct Plan {
        var deletions: [Int64] = []
        var updates: [(Int64, DerivedCustomer)] = []
        var insertions: [DerivedCustomer] = []
        /// Rows that stay (updated or untouched), with the identities they hold now.
        private var kept: [Int64: (now: DerivedCustomer, wanted: DerivedCustomer)] = [:]

        init(existing: [Int64: DerivedCustomer], wanted: [DerivedCustomer]) {
            var free = existing
            var unplaced: [DerivedCustomer] = []
            // The same identities: the row stays, rewritten only if a value changed.
            for row in wanted {
                if let (id, now) = free.first(where: { $0.value.key == row.key && $0.value.customer == row.customer }) {
                    free[id] = nil
                    kept[id] = (now, row)
                } else {
                    unplaced.append(row)
                }
            }
            // Otherwise the oldest free row sharing its key, else its Stripe customer.
            for row in unplaced {
                let sharing =
                    free.filter { (row.key != nil && $0.value.key == row.key) }.keys.min()
                    ?? free.filter { (row.customer != nil && $0.value.customer == row.customer) }.keys.min()
                if let id = sharing {
                    kept[id] = (free[id]!, row)
                    free[id] = nil
                } else {
                    insertions.append(row)
                }
            }
            deletions = free.keys.sorted()
        }

        /// A kept row may not take an identity that another kept row holds
        /// now: that row is deleted and inserted instead, until none collide.
        mutating func resolveCollisions() {
            while let id = kept.keys.sorted().first(where: collides) {
                deletions.append(id)
                insertions.append(kept[id]!.wanted)
                kept[id] = nil
            }
            updates = kept.keys.sorted().compactMap { id in
                let (now, wanted) = kept[id]!
                return now == wanted ? nil : (id, wanted)
            }
        }

        private func collides(_ id: Int64) -> Bool {
            let wanted = Set(kept[id]!.wanted.identities)
            return kept.contains { other, rows in
                other != id && rows.now != rows.wanted && !wanted.isDisjoint(with: rows.now.identities)
            }
        }
    }
}
