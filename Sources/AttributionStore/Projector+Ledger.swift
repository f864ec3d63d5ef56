import AttributionCore
import Foundation

/// The commission ledger's admin events, and the re-derivation of each
/// transaction's commission (docs/ledger.md).
///
/// Triggers on `transactions`, `customers` and `partners` note in
/// `ledger_dirty` what an event changed, whichever code path wrote it; at the
/// end of the event `settleLedger` derives the commissions of exactly those
/// transactions again (plus, when rules have limits, the few a new payment can
/// push past them), so a transaction's work does not grow with history. A rule
/// change re-derives its scope's transactions from its `effective_from` on:
/// admin events are rare, and a rule set from now touches almost nothing. A
/// payout, and its void, re-derive the rows it paid (their `paid`). Each row
/// written adds its change to `ledger_totals`, the sums the balances read.
extension Projector {
    // MARK: Admin events

    func applyRuleChange(_ r: LocalEvent.RuleChange, version: EventVersion) throws {
        var bps: Int64?
        var flat: Int64?
        var currency: String?
        switch r.reward {
        case .percent(let b)?: bps = b
        case .flat(let a, let c)?: (flat, currency) = (a, c.lowercased())
        case nil: break
        }
        let from = Timestamp.iso(r.effectiveFrom)
        try db.run(
            """
            INSERT OR IGNORE INTO reward_rules (event_id, partner_key, product_key, percent_bps, flat_amount, currency,
                ended, effective_from, max_months, max_payments, recorded_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, version.eventId, r.partnerKey, r.productKey, bps, flat, currency, r.reward == nil, from,
            r.maxMonths.map(Int64.init), r.maxPayments.map(Int64.init), Timestamp.iso(version.created))
        try db.run(
            """
            INSERT OR IGNORE INTO ledger_dirty SELECT 't', transaction_id FROM attributed_transactions
            WHERE occurred_at >= ?1 AND (?2 IS NULL OR partner_key = ?2) AND (?3 IS NULL OR product_key = ?3)
            """, from, r.partnerKey, r.productKey)
    }

    /// The hold period is read by the views at query time: nothing to re-derive.
    func applyRewardHold(_ h: LocalEvent.RewardHold, version: EventVersion) throws {
        try db.run(
            """
            INSERT INTO reward_hold (id, days, v_created, v_event) VALUES (1, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET days = excluded.days, v_created = excluded.v_created, v_event = excluded.v_event
            WHERE (excluded.v_created, excluded.v_event) > (v_created, v_event)
            """, Int64(h.days), version.created, version.eventId)
    }

    func applyApproval(_ a: LocalEvent.Approval, version: EventVersion) throws {
        try db.run(
            """
            INSERT INTO fact_approvals (customer_key, at, v_event) VALUES (?, ?, ?)
            ON CONFLICT (customer_key) DO UPDATE SET at = excluded.at, v_event = excluded.v_event
            WHERE (excluded.at, excluded.v_event) < (at, v_event)
            """, a.customerKey, version.created, version.eventId)
        try db.run("INSERT OR IGNORE INTO ledger_dirty VALUES ('k', ?1), ('c', ?1)", a.customerKey)
    }

    func applyPayout(_ p: Payout, version: EventVersion) throws {
        let inserted = try db.run(
            """
            INSERT OR IGNORE INTO payouts (payout_id, created_at, as_of, hold_days, status) VALUES (?, ?, ?, ?, 'created')
            """, p.payoutId, Timestamp.iso(version.created), Timestamp.iso(p.asOf), Int64(p.holdDays))
        guard inserted > 0 else { return }
        for l in p.lines {
            try db.run(
                "INSERT INTO payout_lines (payout_id, partner_key, currency, amount) VALUES (?, ?, ?, ?)",
                p.payoutId, l.partnerKey, l.currency, l.amount)
        }
        for i in p.items {
            try db.run(
                """
                INSERT INTO payout_items (payout_id, transaction_id, partner_key, currency, amount, occurred_at)
                VALUES (?, ?, ?, ?, ?, ?)
                """, p.payoutId, i.transactionId, i.partnerKey, i.currency, i.amount, i.occurredAt)
        }
        try derivePayoutStatus(p.payoutId)
        try markPaidRowsDirty(p.payoutId)
    }

    func applyPayoutMark(_ m: LocalEvent.PayoutMark, version: EventVersion) throws {
        try db.run(
            """
            INSERT INTO fact_payout_marks (payout_id, kind, at, v_event, reference) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (payout_id, kind) DO UPDATE SET at = excluded.at, v_event = excluded.v_event,
                reference = excluded.reference
            WHERE (excluded.at, excluded.v_event) < (at, v_event)
            """, m.payoutId, m.kind, version.created, version.eventId, m.reference)
        let before = try payoutStatus(m.payoutId)
        try derivePayoutStatus(m.payoutId)
        // What a payout paid counts unless it is voided: only a void changes the rows.
        if let before, (before == "voided") != (try payoutStatus(m.payoutId) == "voided") {
            try markPaidRowsDirty(m.payoutId)
        }
    }

    private func payoutStatus(_ id: String) throws -> String? {
        try db.one("SELECT status FROM payouts WHERE payout_id = ?", id) { try $0[0] as String }
    }

    /// The rows a payout paid derive their `paid` again when it is recorded or voided.
    private func markPaidRowsDirty(_ id: String) throws {
        try db.run("INSERT OR IGNORE INTO ledger_dirty SELECT 't', transaction_id FROM payout_items WHERE payout_id = ?", id)
    }

    /// Voided wins over paid (the CLI allows only one of them); a mark that
    /// arrives before its payout waits in `fact_payout_marks`.
    private func derivePayoutStatus(_ id: String) throws {
        try db.run(
            """
            UPDATE payouts SET
                status = CASE WHEN EXISTS (SELECT 1 FROM fact_payout_marks WHERE payout_id = ?1 AND kind = 'voided')
                              THEN 'voided'
                              WHEN EXISTS (SELECT 1 FROM fact_payout_marks WHERE payout_id = ?1 AND kind = 'paid')
                              THEN 'paid' ELSE 'created' END,
                paid_at = (SELECT strftime('%Y-%m-%dT%H:%M:%SZ', at, 'unixepoch') FROM fact_payout_marks
                           WHERE payout_id = ?1 AND kind = 'paid'),
                reference = (SELECT reference FROM fact_payout_marks WHERE payout_id = ?1 AND kind = 'paid')
            WHERE payout_id = ?1
            """, id)
    }

    // MARK: Settling what the event changed

    /// Derives again the flags and commissions of everything `ledger_dirty` names, then empties it.
    mutating func settleLedger() throws {
        guard try db.exists("SELECT 1 FROM ledger_dirty LIMIT 1") else { return }
        // A partner whose email changed: each of its customers may be a self-referral now, or no longer.
        try db.run(
            """
            INSERT OR IGNORE INTO ledger_dirty
            SELECT 'k', c.customer_key FROM ledger_dirty d JOIN customers c ON c.partner_key = d.id
            WHERE d.kind = 'p' AND c.customer_key IS NOT NULL
            UNION ALL
            SELECT 'c', c.stripe_customer_id FROM ledger_dirty d JOIN customers c ON c.partner_key = d.id
            WHERE d.kind = 'p' AND c.stripe_customer_id IS NOT NULL
            """)
        let identities = try db.all("SELECT kind, id FROM ledger_dirty WHERE kind IN ('k', 'c')") {
            (kind: try $0[0] as String, id: try $0[1] as String)
        }
        // A new or changed row notes both its identities; settled once by the first, its
        // row is not read and updated again for the second (the result would be the same).
        var settled = Set<String>()
        for identity in identities where !settled.contains(identity.kind + identity.id) {
            try settleCustomer(kind: identity.kind, id: identity.id, settled: &settled)
        }
        let limits = try db.one("SELECT max(max_payments), count(max_months) FROM reward_rules") {
            (payments: try $0[0] as Int64?, months: try $0[1] as Int64)
        }
        if let limits, limits.payments != nil || limits.months > 0 {
            for id in try db.strings("SELECT id FROM ledger_dirty WHERE kind = 't'") {
                try markLimitNeighbours(of: id, payments: limits.payments, months: limits.months > 0)
            }
        }
        var rules = RuleBook(db: db)
        for id in try db.strings("SELECT id FROM ledger_dirty WHERE kind = 't'") { try recomputeCommission(id, rules: &rules) }
        try totals.write(to: db)
        try db.run("DELETE FROM ledger_dirty")
    }

    /// The customer's self-referral flag and approval, then its transactions.
    /// Adds the identities of the row it settled to `settled`.
    private mutating func settleCustomer(kind: String, id: String, settled: inout Set<String>) throws {
        let sql = kind == "k" ? CustomerSettleSQL.byKey : CustomerSettleSQL.byStripeCustomer
        // At most one row (both columns are unique): its flag and approval as stored and as derived now.
        let row = try db.one(sql.read, id) {
            (
                flag: try $0[0] as String?, approvedAt: try $0[1] as String?, key: try $0[2] as String?,
                customer: try $0[3] as String?, derivedFlag: try $0[4] as String?, derivedApprovedAt: try $0[5] as String?
            )
        }
        // Written only when they changed, which is rare (profiled: the update took 7 µs, the read 1).
        if let row, (row.flag, row.approvedAt) != (row.derivedFlag, row.derivedApprovedAt) {
            try db.run(sql.update, row.derivedFlag, row.derivedApprovedAt, id)
            if row.flag == nil, row.derivedFlag != nil {
                selfReferrals.append("customer \(id) has its partner's email: its commissions are held until 'customers approve \(id)'")
            }
        }
        // Its transactions, by either of its identities (a charge may name only the Stripe customer);
        // by the dirty identity itself even when no row holds it any more.
        let keys = Set((kind == "k" ? [id] : []) + [row?.key].compactMap { $0 })
        let customers = Set((kind == "c" ? [id] : []) + [row?.customer].compactMap { $0 })
        if let key = row?.key { settled.insert("k" + key) }
        if let customer = row?.customer { settled.insert("c" + customer) }
        for key in keys {
            try db.run("INSERT OR IGNORE INTO ledger_dirty SELECT 't', transaction_id FROM transactions WHERE customer_key = ?", key)
        }
        for customer in customers {
            try db.run(
                "INSERT OR IGNORE INTO ledger_dirty SELECT 't', transaction_id FROM transactions WHERE stripe_customer_id = ?",
                customer)
        }
    }

    /// A new payment can push others of its customer past a `--payments N`
    /// limit (only the first N + 1 can change), and a new first payment moves
    /// every `--months N` window of its customer.
    private func markLimitNeighbours(of id: String, payments: Int64?, months: Bool) throws {
        guard let tx = try LedgerTransaction.read(id, in: db) else { return }
        let paid = PaidTransactions(db: db, settings: settings, customer: tx.customerIdentity, livemode: tx.livemode)
        if let payments {
            for other in try paid.first(Int(payments) + 1) {
                try db.run("INSERT OR IGNORE INTO ledger_dirty VALUES ('t', ?)", other)
            }
        }
        if months, let first = try paid.first(1).first, first == id {
            try db.run(
                """
                INSERT OR IGNORE INTO ledger_dirty SELECT 't', transaction_id FROM transactions
                WHERE stripe_customer_id = ? OR customer_key = ?
                """, tx.customerIdentity.customer, tx.customerIdentity.key)
        }
    }

    /// Derives the ledger row of one transaction from its current state and
    /// what its payouts paid, writes it if it changed (removes it when there is
    /// neither a commission nor anything paid), and notes the change for `ledger_totals`.
    mutating func recomputeCommission(_ id: String, rules: inout RuleBook) throws {
        let (stored, paid) = try LedgerRow.read(id, in: db)
        var derived: LedgerRow?
        if let tx = try LedgerTransaction.read(id, in: db), let partner = tx.partnerKey,
            let rule = try rules.deciding(partner: partner, product: tx.productKey, currency: tx.currency, at: tx.occurredAt)
        {
            var commission = rule.commission(net: tx.netAmount)
            if commission != 0, try !withinLimits(tx, rule) { commission = 0 }
            derived = LedgerRow(
                partnerKey: partner, currency: tx.currency, livemode: tx.livemode, occurredAt: tx.occurredAtText,
                netAmount: tx.netAmount, commission: commission, held: tx.held, ruleEvent: rule.eventId,
                paid: paid?.amount ?? 0)
        } else if let paid, paid.amount != 0 {
            derived = LedgerRow(
                partnerKey: paid.partnerKey, currency: paid.currency, livemode: true, occurredAt: paid.occurredAt,
                netAmount: 0, commission: 0, held: false, ruleEvent: "", paid: paid.amount)
        }
        guard derived != stored else { return }
        try LedgerRow.write(id, from: stored, to: derived, in: db)
        totals.replace(stored, with: derived)
    }

    /// Whether the transaction is inside the rule's `--payments` and `--months` limits.
    private func withinLimits(_ tx: LedgerTransaction, _ rule: RuleInTime) throws -> Bool {
        guard rule.maxPayments != nil || rule.maxMonths != nil else { return true }
        let paid = PaidTransactions(db: db, settings: settings, customer: tx.customerIdentity, livemode: tx.livemode)
        if let n = rule.maxPayments, try paid.countBefore(at: tx.occurredAt, id: tx.id, limit: n) >= n { return false }
        if let months = rule.maxMonths {
            let first = try paid.firstAt() ?? tx.occurredAt
            if tx.occurredAt >= CalendarMonths.add(months, to: first) { return false }
        }
        return true
    }
}

/// `settleCustomer`'s two statements, by the identity column that finds the
/// row. Built once: statements built per call missed the worker's statement
/// memo (it finds them by their text's address) and grew it on every call.
struct CustomerSettleSQL {
    /// The row's flag and approval as stored, its identities, then its flag and
    /// approval derived again: a self-referral when its email is its partner's,
    /// approved at the earliest approval of either identity.
    let read: String
    /// Writes the derived flag and approval (values: flag, approval, identity).
    let update: String

    static let byKey = CustomerSettleSQL(column: "customer_key")
    static let byStripeCustomer = CustomerSettleSQL(column: "stripe_customer_id")

    private init(column: String) {
        read = """
            SELECT flag, approved_at, customer_key, stripe_customer_id,
                (SELECT 'self_referral' FROM partners p WHERE p.partner_key = customers.partner_key
                 AND customers.email IS NOT NULL AND p.email IS NOT NULL
                 AND lower(trim(p.email)) = lower(trim(customers.email))),
                (SELECT strftime('%Y-%m-%dT%H:%M:%SZ', min(a.at), 'unixepoch') FROM fact_approvals a
                 WHERE a.customer_key IN (customers.customer_key, customers.stripe_customer_id))
            FROM customers WHERE \(column) = ?
            """
        update = "UPDATE customers SET flag = ?, approved_at = ? WHERE \(column) = ?"
    }
}
