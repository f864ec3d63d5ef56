import AttributionCore
import Foundation
import GRDB
import Synchronization

/// The money part of the report: per partner and currency, the count, gross,
/// refunded, net and commission of the transactions in the period.
///
/// It reads the base tables with the same attribution as the view
/// `attributed_transactions` (a test pins the two together), because the view
/// hides the rowid: on a large table the scan is split in two rowid ranges read
/// on two connections at once, which halves the time on a two-core machine.
/// The two halves are separate read transactions begun a moment apart; a write
/// committed in between could show in one half only, which for an admin
/// report of past money is harmless.
extension AppDatabase {
    struct MoneyKey: Hashable {
        var partner: String?
        var currency: String
    }

    /// Below this many rows one scan is fast enough and splitting costs more than it saves.
    public static let parallelScanThreshold: Int64 = 200_000

    func moneyTotals(
        mode: ReportMode, from: String?, to: String?,
        splitAbove: Int64
    ) throws -> [MoneyKey: CurrencyTotals] {
        let (low, high) = try writer.read { db in
            // Two subqueries: SQLite answers a lone min() or max() from the b-tree's ends, not by a scan.
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT (SELECT min(rowid) FROM transactions) AS low, (SELECT max(rowid) FROM transactions) AS high
                    """)
            return ((row?["low"] as Int64?) ?? 0, (row?["high"] as Int64?) ?? -1)
        }
        guard high >= low else { return [:] }
        let middle = low + (high - low) / 2
        let split = writer is DatabasePool && high - low >= splitAbove
        let ranges = split ? [low...middle, (middle + 1)...high] : [low...high]
        let results = Mutex<[Result<[MoneyKey: CurrencyTotals], any Error>]>([])
        DispatchQueue.concurrentPerform(iterations: ranges.count) { i in
            let result = Result {
                try writer.read { db in
                    try Self.moneyTotals(in: db, mode: mode, from: from, to: to, rowids: ranges[i])
                }
            }
            results.withLock { $0.append(result) }
        }
        var merged: [MoneyKey: CurrencyTotals] = [:]
        for result in results.withLock({ $0 }) {
            for (key, t) in try result.get() {
                try merged[key, default: CurrencyTotals(none: key.currency)].add(t)
            }
        }
        return merged
    }

    static func moneyTotals(
        in db: Database, mode: ReportMode, from: String?, to: String?,
        rowids: ClosedRange<Int64>
    ) throws -> [MoneyKey: CurrencyTotals] {
        var arguments: StatementArguments = []
        var conditions = [modeCondition(mode, table: "t"), "t.rowid BETWEEN ? AND ?"]
        arguments += [rowids.lowerBound, rowids.upperBound]
        if let from {
            conditions.append("t.occurred_at >= ?")
            arguments += [from]
        }
        if let to {
            conditions.append("t.occurred_at < ?")
            arguments += [to]
        }
        // One row per transaction, summed here: with a few hundred groups at most,
        // SQLite's GROUP BY sorted every row first, which was over half the report's time.
        let statement = try db.makeStatement(
            sql: """
                SELECT partner_key, currency, amount, amount_refunded, net_amount, commission
                FROM (
                    SELECT CASE WHEN cs.id IS NOT NULL THEN cs.partner_key
                                WHEN ck.id IS NOT NULL THEN ck.partner_key
                                ELSE t.partner_key END AS partner_key,
                           t.product_key, t.currency, t.amount, t.amount_refunded,
                           max(t.amount - t.amount_refunded - t.amount_disputed, 0) AS net_amount,
                           coalesce(lc.commission, 0) AS commission
                    FROM transactions t
                    LEFT JOIN ledger_commissions lc ON lc.transaction_id = t.transaction_id
                    LEFT JOIN customers cs ON cs.stripe_customer_id = t.stripe_customer_id
                    LEFT JOIN customers ck ON cs.id IS NULL AND ck.customer_key = t.customer_key
                    WHERE \(conditions.joined(separator: " AND "))
                )
                """)
        try statement.setArguments(arguments)
        var totals: [MoneyKey: CurrencyTotals] = [:]
        try Statements(db).forEach(statement) { row in
            let key = MoneyKey(partner: try row[0], currency: try row[1])
            try totals[key, default: CurrencyTotals(none: key.currency)].add(row)
        }
        return totals
    }
}

extension CurrencyTotals {
    fileprivate init(none currency: String) {
        self.init(currency: currency, transactions: 0, gross: 0, refunded: 0, net: 0, commission: 0)
    }

    /// Adds one transaction's amounts, read from columns 2–5.
    fileprivate mutating func add(_ row: Columns) throws {
        try add(
            transactions: 1, gross: row.summand(2), refunded: row.summand(3), net: row.summand(4),
            commission: row.summand(5))
    }

    /// Adds the totals of another part of the scan.
    fileprivate mutating func add(_ other: CurrencyTotals) throws {
        try add(
            transactions: other.transactions, gross: other.gross, refunded: other.refunded, net: other.net,
            commission: other.commission)
    }

    private mutating func add(
        transactions count: Int, gross: Int64, refunded: Int64, net: Int64,
        commission: Int64
    ) throws {
        transactions += count
        try self.gross.add(gross)
        try self.refunded.add(refunded)
        try self.net.add(net)
        try self.commission.add(commission)
    }
}

extension Int64 {
    /// Adds like SQLite's `sum()`: an overflow is an error, never a wrapped total.
    fileprivate mutating func add(_ value: Int64) throws {
        let (result, overflow) = addingReportingOverflow(value)
        if overflow { throw DatabaseError(resultCode: .SQLITE_ERROR, message: "integer overflow in the report's sums") }
        self = result
    }
}
