import AttributionCore
import Foundation
import GRDB

/// What a report covers: a half-open period `[from, to)` on `occurred_at`
/// (UTC, nil for unbounded), one partner or all, and a Stripe mode.
public struct ReportRequest: Sendable, Equatable {
    public var from: String?
    public var to: String?
    public var partner: String?
    public var mode: ReportMode

    /// `from` and `to` are `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SSZ`, checked by the caller with `Timestamp.parse`.
    public init(from: String? = nil, to: String? = nil, partner: String? = nil, mode: ReportMode = .live) {
        self.from = from
        self.to = to
        self.partner = partner
        self.mode = mode
    }
}

extension AppDatabase {
    /// Opens the database at `path` read-only and computes the report, so the
    /// report can run while the daemon writes and can never change the data.
    public static func report(path: String, _ request: ReportRequest) throws(StoreError) -> Report {
        try open(path: path, readonly: true).report(request)
    }

    /// The report of docs/cli.md. Money comes from one grouped scan of the
    /// transactions, each with its commission from the ledger (the rule in
    /// force when it occurred, docs/ledger.md), so a rule changed today never moves a
    /// past period, and the cost is one pass whatever the number of partners
    /// (see `moneyTotals`).
    /// `splitScanAbove`: from how many transactions the scan is split over two
    /// connections (a pool only); tests lower it to cover the split.
    public func report(
        _ request: ReportRequest,
        splitScanAbove: Int64 = AppDatabase.parallelScanThreshold
    ) throws(StoreError) -> Report {
        do {
            let bounds = try Self.bounds(of: request)
            // Money first (possibly on two connections at once), then the counts in one read.
            let money = try moneyTotals(
                mode: request.mode, from: bounds.from, to: bounds.to,
                splitAbove: splitScanAbove)
            return try writer.read { db in try Self.report(request, bounds: bounds, money: money, in: db) }
        } catch {
            throw StoreError.wrap(error, "compute the report")
        }
    }

    static func report(
        _ request: ReportRequest, bounds: (from: String?, to: String?),
        money: [MoneyKey: CurrencyTotals], in db: Database
    ) throws -> Report {
        var names: [String: String?] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT partner_key, name FROM partners") {
            names[row["partner_key"]] = row["name"] as String?
        }
        if let partner = request.partner, names[partner] == nil {
            throw StoreError.notFound("cannot report on partner \(partner): no such partner")
        }

        var entries: [String?: ReportEntry] = [:]
        func entry(_ key: String?) -> ReportEntry {
            entries[key] ?? ReportEntry(partnerKey: key, name: key.flatMap { names[$0] ?? nil })
        }
        for key in names.keys { entries[key] = entry(key) }

        let mode = modeCondition(request.mode)
        for row in try Row.fetchAll(
            db,
            sql: """
                SELECT partner_key, count(*) AS n FROM customers WHERE \(mode) GROUP BY partner_key
                """)
        {
            let key: String? = row["partner_key"]
            entries[key] = {
                var e = entry(key)
                e.customers = row["n"]
                return e
            }()
        }
        for row in try Row.fetchAll(
            db,
            sql: """
                SELECT c.partner_key, count(*) AS n FROM subscriptions s
                LEFT JOIN customers c ON c.stripe_customer_id = s.stripe_customer_id
                WHERE s.status IN ('active', 'trialing') AND \(modeCondition(request.mode, table: "s"))
                GROUP BY c.partner_key
                """)
        {
            let key: String? = row["partner_key"]
            entries[key] = {
                var e = entry(key)
                e.activeSubscriptions = row["n"]
                return e
            }()
        }

        for (key, totals) in money.sorted(by: { $0.key.currency < $1.key.currency }) {
            var e = entry(key.partner)
            e.totals.append(totals)
            entries[key.partner] = e
        }

        let partners = entries.values.filter { $0.partnerKey != nil && (request.partner == nil || $0.partnerKey == request.partner) }
            .sorted { $0.partnerKey! < $1.partnerKey! }
        let unattributed = request.partner == nil ? entry(nil) : nil
        var onlyTest = false
        if request.mode == .live && partners.allSatisfy({ $0.totals.isEmpty }) && (unattributed?.totals.isEmpty ?? true) {
            var testConditions = ["livemode = 0"]
            var testArguments: StatementArguments = []
            if let from = bounds.from {
                testConditions.append("occurred_at >= ?")
                testArguments += [from]
            }
            if let to = bounds.to {
                testConditions.append("occurred_at < ?")
                testArguments += [to]
            }
            onlyTest =
                try Bool.fetchOne(
                    db,
                    sql: """
                        SELECT EXISTS (SELECT 1 FROM transactions WHERE \(testConditions.joined(separator: " AND ")))
                        """, arguments: testArguments) ?? false
        }
        return Report(
            mode: request.mode, from: request.from, to: request.to, partners: partners,
            unattributed: unattributed, onlyTestData: onlyTest)
    }

    /// The period as ISO-8601 text comparable with `occurred_at`.
    static func bounds(of request: ReportRequest) throws -> (from: String?, to: String?) {
        func iso(_ text: String?) throws -> String? {
            guard let text else { return nil }
            guard let t = Timestamp.parse(text) else {
                throw StoreError.failed("cannot compute the report: '\(text)' is not a date (YYYY-MM-DD)")
            }
            return Timestamp.iso(t)
        }
        return (try iso(request.from), try iso(request.to))
    }

    static func modeCondition(_ mode: ReportMode, table: String? = nil) -> String {
        let column = table.map { "\($0).livemode" } ?? "livemode"
        switch mode {
        case .live: return "\(column) = 1"
        case .test: return "\(column) = 0"
        case .all: return "1"
        }
    }
}
