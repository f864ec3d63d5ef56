import AttributionCore
import GRDB

extension AppDatabase {
    /// A partner's statement for `[from, to)`: every customer it referred, the
    /// period's live-mode commission rows (status as of now), its payouts and its balances.
    public func statement(partner: String, from: String?, to: String?) throws(StoreError) -> PartnerStatement {
        do {
            return try writer.read { db in
                guard
                    let p = try db.one(
                        "SELECT name, email FROM partners WHERE partner_key = ?", partner,
                        as: { (name: try $0[0] as String?, email: try $0[1] as String?) })
                else { throw StoreError.notFound("cannot make a statement for partner \(partner): no such partner") }
                let customers = try db.all(
                    """
                    SELECT customer_key, stripe_customer_id, created_at, flag FROM customers WHERE partner_key = ?
                    ORDER BY created_at, customer_key, stripe_customer_id
                    """, partner,
                    as: { c in
                        PartnerStatement.Customer(customerKey: try c[0], stripeCustomerId: try c[1], createdAt: try c[2], flag: try c[3])
                    })
                let lines = try db.all(
                    """
                    SELECT transaction_id, occurred_at, currency, net_amount, commission, paid, status FROM commissions
                    WHERE partner_key = ?1 AND livemode = 1 AND (?2 IS NULL OR occurred_at >= ?2) AND (?3 IS NULL OR occurred_at < ?3)
                    ORDER BY occurred_at, transaction_id
                    """, partner, from, to,
                    as: { c in
                        PartnerStatement.Line(
                            transactionId: try c[0], occurredAt: try c[1], currency: try c[2], netAmount: try c[3],
                            commission: try c[4], paid: try c[5], status: try c[6])
                    })
                let payouts = try db.all(
                    """
                    SELECT p.payout_id, p.created_at, p.status, l.currency, l.amount
                    FROM payout_lines l JOIN payouts p ON p.payout_id = l.payout_id
                    WHERE l.partner_key = ? ORDER BY p.created_at, p.payout_id, l.currency
                    """, partner,
                    as: { c in
                        PartnerStatement.PayoutLine(
                            payoutId: try c[0], createdAt: try c[1], status: try c[2], currency: try c[3],
                            amount: try c[4])
                    })
                return PartnerStatement(
                    partnerKey: partner, name: p.name, email: p.email, from: from, to: to,
                    customers: customers, transactions: lines, payouts: payouts, balances: [])
            }.withBalances(try balances(mode: .live).filter { $0.partnerKey == partner })
        } catch {
            throw StoreError.wrap(error, "make the statement of partner \(partner)")
        }
    }
}

extension PartnerStatement {
    fileprivate func withBalances(_ rows: [Balance]) -> PartnerStatement {
        var copy = self
        copy.balances = rows
        return copy
    }
}
