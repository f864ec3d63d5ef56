import AttributionCore
import Foundation
import GRDB

/// A customer as `customers show` and the signup API return it.
public struct CustomerRow: Sendable, Equatable, Codable {
    public var customerKey: String?
    public var stripeCustomerId: String?
    public var partnerKey: String?
    public var email: String?
    public var name: String?
    public var livemode: Bool
    public var createdAt: String
    public var updatedAt: String
    public var deletedAt: String?

    enum CodingKeys: String, CodingKey {
        case customerKey = "customer_key", stripeCustomerId = "stripe_customer_id", partnerKey = "partner_key"
        case email, name, livemode, createdAt = "created_at", updatedAt = "updated_at", deletedAt = "deleted_at"
    }
}

/// What recording a signup did.
public struct SignupResult: Sendable, Equatable {
    /// `duplicate` when this customer key had signed up before: nothing changed.
    public var outcome: InsertOutcome
    /// The customer after the signup; its partner is the first one recorded,
    /// which may differ from the signup's when the customer was known before.
    public var customer: CustomerRow
}

extension AppDatabase {
    /// Records a signup (a customer key and the partner who referred it), as
    /// `customers add` and `POST /api/v1/customers` do. The event id is derived
    /// from the customer key, so a repeated signup is a duplicate that changes nothing.
    public func recordSignup(
        _ signup: LocalEvent.Signup, settings: ApplySettings,
        now: Int64
    ) async throws(StoreError) -> SignupResult {
        guard !signup.customerKey.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw StoreError.failed("cannot record the signup: the customer key is empty")
        }
        let outcome: InsertOutcome
        do {
            let json = try LocalEvent.envelope(id: signup.eventId, type: LocalEvent.signupType, created: now, object: signup)
            outcome = try await recordAndApply(
                NewInboxEvent(event: try StripeEvent.decode(Array(json.utf8)), payload: json),
                settings: settings, now: now)
        } catch {
            throw StoreError.wrap(error, "record the signup of \(signup.customerKey)")
        }
        guard let customer = try customer(key: signup.customerKey) else {
            throw StoreError.failed("cannot record the signup of \(signup.customerKey): no customer row was derived")
        }
        return SignupResult(outcome: outcome, customer: customer)
    }

    /// The customer with this customer key, or else this Stripe customer id; nil if none.
    public func customer(key: String) throws(StoreError) -> CustomerRow? {
        do {
            return try writer.read { db in
                try Row.fetchOne(
                    db,
                    sql: """
                        SELECT * FROM customers WHERE customer_key = ?1
                        UNION ALL SELECT * FROM customers WHERE stripe_customer_id = ?1 AND customer_key IS NOT ?1
                        LIMIT 1
                        """, arguments: [key]
                ).map { row in
                    CustomerRow(
                        customerKey: row["customer_key"], stripeCustomerId: row["stripe_customer_id"],
                        partnerKey: row["partner_key"], email: row["email"], name: row["name"],
                        livemode: row["livemode"], createdAt: row["created_at"], updatedAt: row["updated_at"],
                        deletedAt: row["deleted_at"])
                }
            }
        } catch {
            throw StoreError.wrap(error, "read customer \(key)")
        }
    }
}
