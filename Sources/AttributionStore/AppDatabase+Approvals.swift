import AttributionCore
import GRDB

extension AppDatabase {
    /// What `customers approve` did.
    public enum ApprovalOutcome: Sendable, Equatable {
        case approved(wasFlagged: Bool)
        case alreadyApproved(at: String)
    }

    /// `customers approve K`: records an approval (an admin event) that
    /// releases a self-referral's held commissions; the flag stays. An unknown
    /// customer is refused; one approved already records nothing.
    public func approveCustomer(_ key: String, now: Int64) throws(StoreError) -> ApprovalOutcome {
        do {
            var outcome = ApprovalOutcome.approved(wasFlagged: false)
            let approval = LocalEvent.Approval(customerKey: key)
            do {
                try recordAdminEvent(type: LocalEvent.approvalType, prefix: "approval", object: approval, now: now) { db in
                    guard
                        let row = try db.one(
                            """
                            SELECT flag, approved_at FROM customers WHERE customer_key = ?1 OR stripe_customer_id = ?1
                            ORDER BY customer_key IS NULL LIMIT 1
                            """, key, as: { (flag: try $0[0] as String?, approved: try $0[1] as String?) })
                    else { throw StoreError.notFound("cannot approve customer \(key): no such customer") }
                    if let at = row.approved {
                        outcome = .alreadyApproved(at: at)
                        throw AlreadyDone()
                    }
                    outcome = .approved(wasFlagged: row.flag != nil)
                }
            } catch is AlreadyDone {}
            return outcome
        } catch {
            throw StoreError.wrap(error, "approve customer \(key)")
        }
    }
}

/// Thrown from a check to record nothing when there is nothing to do.
struct AlreadyDone: Error {}
