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
    /// Fails when the ledger's running totals or its balances view disagree with its rows.
    public func domainDump() throws -> [String: [String]] {
        try checkLedgerTotals()
        return try writer.read { db in
            var out: [String: [String]] = [:]
            let tables = [
                "customers":
                    "customer_key, stripe_customer_id, partner_key, email, name, livemode, created_at, updated_at, deleted_at, flag, approved_at",
                "partners": "*", "transactions": "*", "subscriptions": "*",
                "attributed_transactions": "*", "promotion_codes": "*",
                // The commission ledger (docs/ledger.md).
                "reward_rules": "*", "reward_hold": "*", "commissions": "*", "partner_balances": "*",
                "payouts": "*", "payout_lines": "*", "payout_items": "*", "ledger_totals": "*",
            ]
            for (table, columns) in tables {
                out[table] = try Row.fetchAll(db, sql: "SELECT \(columns) FROM \(table)").map { row in
                    row.map { "\($0.0)=\($0.1)" }.joined(separator: " ")
                }.sorted()
            }
            return out
        }
    }

    /// `ledger_totals` summed again from the rows, and `partner_balances` as version 15's view
    /// computed it (every row compared with the hold boundary): any difference is an error.
    public func checkLedgerTotals() throws {
        try writer.read { db in
            let drift = try Row.fetchAll(
                db,
                sql: """
                    WITH fresh AS (
                        SELECT partner_key, livemode, currency, substr(occurred_at, 1, 7) AS month, count(*) AS row_count,
                               sum(commission) AS earned, sum(iif(held = 1, commission, 0)) AS held, sum(paid) AS paid,
                               sum(iif(held = 1, paid, 0)) AS held_paid, sum(held = 0 AND commission <> paid) AS open_rows
                        FROM ledger_commissions WHERE commission <> 0 OR paid <> 0
                        GROUP BY partner_key, livemode, currency, substr(occurred_at, 1, 7))
                    SELECT 'stored', * FROM (SELECT * FROM ledger_totals EXCEPT SELECT * FROM fresh)
                    UNION ALL SELECT 'summed', * FROM (SELECT * FROM fresh EXCEPT SELECT * FROM ledger_totals)
                    """)
            guard drift.isEmpty else { throw LedgerDrift(what: "ledger_totals", rows: drift.map(\.description)) }
            let balances = try Row.fetchAll(
                db,
                sql: """
                    WITH b AS (SELECT strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-' || days || ' days') AS after FROM ledger_hold),
                    reference AS (
                        SELECT r.partner_key, r.livemode, r.currency, sum(r.commission) AS earned,
                               sum(iif(r.held = 0 AND r.occurred_at > b.after, r.commission, 0)) AS pending,
                               sum(iif(r.held = 1, r.commission, 0)) AS held, sum(r.paid) AS paid,
                               sum(iif(r.held = 0 AND r.occurred_at <= b.after, r.commission - r.paid, 0)) AS due
                        FROM ledger_rows r, b GROUP BY r.partner_key, r.livemode, r.currency)
                    SELECT 'view', * FROM (SELECT * FROM partner_balances EXCEPT SELECT * FROM reference)
                    UNION ALL SELECT 'reference', * FROM (SELECT * FROM reference EXCEPT SELECT * FROM partner_balances)
                    """)
            guard balances.isEmpty else { throw LedgerDrift(what: "partner_balances", rows: balances.map(\.description)) }
        }
    }

    public struct LedgerDrift: Error, CustomStringConvertible {
        public var what: String
        public var rows: [String]
        public var description: String { "\(what) disagrees with the ledger's rows:\n" + rows.joined(separator: "\n") }
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
