import AttributionCore
import AttributionStore
import Foundation
import GRDB

extension AppDatabase {
    /// Stores raw payloads in the inbox as the webhook would (duplicates included).
    @discardableResult
    public func deliver(_ payloads: [String], receivedAt: Int64 = 1_800_000_000) async throws -> [InsertOutcome] {
        let events = try payloads.map { p in NewInboxEvent(event: try StripeEvent.decode(Array(p.utf8)), payload: p) }
        return try await insert(events, receivedAt: receivedAt)
    }

    /// Applies every due event, batch after batch.
    public func applyAll(settings: ApplySettings = ApplySettings(), now: Int64 = 1_800_000_000, batch: Int = 50) async throws {
        while try await applyDue(limit: batch, settings: settings, now: now).processed > 0 {}
    }

    /// Every public domain table as sorted text rows (no surrogate ids), for comparing states.
    public func domainDump() throws -> [String: [String]] {
        try writer.read { db in
            var out: [String: [String]] = [:]
            let tables = [
                "customers":
                    "customer_key, stripe_customer_id, partner_key, email, name, livemode, created_at, updated_at, deleted_at, flag, approved_at",
                "partners": "*", "transactions": "*", "subscriptions": "*",
                "attributed_transactions": "*", "promotion_codes": "*",
                // The commission ledger (docs/ledger.md).
                "reward_rules": "*", "reward_hold": "*", "commissions": "*", "partner_balances": "*",
                "payouts": "*", "payout_lines": "*", "payout_items": "*",
            ]
            for (table, columns) in tables {
                out[table] = try Row.fetchAll(db, sql: "SELECT \(columns) FROM \(table)").map { row in
                    row.map { "\($0.0)=\($0.1)" }.joined(separator: " ")
                }.sorted()
            }
            return out
        }
    }

    /// Runs `sql` and returns the first column of each row as text.
    public func column(_ sql: String, _ arguments: StatementArguments = []) throws -> [String?] {
        try writer.read { db in try String?.fetchAll(db, sql: sql, arguments: arguments) }
    }

    /// One row as a dictionary of text values, or nil.
    public func row(_ sql: String, _ arguments: StatementArguments = []) throws -> [String: String]? {
        try writer.read { db in
            try Row.fetchOne(db, sql: sql, arguments: arguments).map { row in
                Dictionary(uniqueKeysWithValues: row.map { ($0.0, $0.1.isNull ? "NULL" : "\($0.1.storage.value ?? "NULL")") })
            }
        }
    }

    public func count(_ table: String, where condition: String = "1") throws -> Int {
        try writer.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table) WHERE \(condition)") ?? 0 }
    }
}
