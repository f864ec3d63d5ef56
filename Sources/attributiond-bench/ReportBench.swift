import AttributionStore
import Foundation
import GRDB

/// (4) `attributiond report` on a database of many transactions, as a whole process.
struct ReportBench {
    let binaries: URL
    let transactions: Int

    func run(into table: inout ResultTable) throws {
        let binary = binaries.appendingPathComponent("attributiond").path
        guard (try? runCommand(binary, ["report", "--help"]).0) == 0 else {
            table.add("report on \(transactions) transactions", "n/a (no report subcommand in this build)")
            return
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("attributiond-bench-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("report.sqlite").path
        print("report: generating \(transactions) transactions…")
        try generate(path: path)
        // Rules through the real command, as a user sets them: 10 % from the beginning, 12 % from
        // July, 25 % for one partner's `pro` product. The first computes every commission.
        let rules: [[String]] = [
            ["--percent", "10"], ["--percent", "12", "--from", "2026-07-01"],
            ["--partner", "p_1", "--product", "pro", "--percent", "25"],
        ]
        for rule in rules {
            let start = ContinuousClock.now
            let (code, _) = try runCommand(binary, ["rewards", "set"] + rule + ["--db", path])
            guard code == 0 else { throw BenchError("rewards set failed with exit code \(code)") }
            table.add(
                "rewards set \(rule.joined(separator: " ")) on \(transactions) transactions s",
                format((ContinuousClock.now - start).seconds, 2))
        }
        /// The median of three whole-process runs of `arguments`, in seconds.
        func medianSeconds(_ arguments: [String]) throws -> Double {
            var times: [Double] = []
            for _ in 0..<3 {
                let start = ContinuousClock.now
                let (code, _) = try runCommand(binary, arguments + ["--db", path])
                guard code == 0 else { throw BenchError("\(arguments.joined(separator: " ")) failed with exit code \(code)") }
                times.append((ContinuousClock.now - start).seconds)
            }
            return median(times)
        }
        table.add(
            "report on \(transactions) transactions, rules changing in time s (median of 3)",
            format(try medianSeconds(["report", "--format", "json"]), 3), target: "≤ 1")
        table.add(
            "balances on \(transactions) transactions, \(Self.partners) partners s (median of 3)",
            format(try medianSeconds(["balances", "--format", "json"]), 3), target: "≤ 1")
        table.add(
            "payouts create --dry-run on the same s (median of 3)",
            format(try medianSeconds(["payouts", "create", "--dry-run"]), 3), target: "≤ 1")
    }

    static let partners = 1_000

    /// 1,000 partners, 100,000 customers, transactions spread over 2026 in three currencies.
    private func generate(path: String) throws {
        let db = try AppDatabase.open(path: path)
        try db.writer.write { db in
            try db.execute(
                sql: """
                    WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 999)
                    INSERT INTO partners (partner_key, name, created_at, source)
                    SELECT 'p_' || i, 'Partner ' || i, '2026-01-01T00:00:00Z', 'admin' FROM n;
                    WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 99999)
                    INSERT INTO customers (customer_key, stripe_customer_id, partner_key, livemode, created_at, updated_at)
                    SELECT 'c' || i || '@x', 'cus_' || i, CASE WHEN i % 10 = 0 THEN NULL ELSE 'p_' || (i % 1000) END, 1,
                           '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z' FROM n;
                    """)
            try db.execute(
                sql: """
                    WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
                    INSERT INTO transactions (transaction_id, source, stripe_customer_id, customer_key, partner_key, product_key,
                                              amount, amount_refunded, currency, livemode, occurred_at)
                    SELECT 'ch_' || i, 'charge', 'cus_' || (i % 100000), NULL, NULL, CASE WHEN i % 3 = 0 THEN 'pro' ELSE 'basic' END,
                           1000 + i % 5000, CASE WHEN i % 20 = 0 THEN 300 ELSE 0 END,
                           CASE i % 3 WHEN 0 THEN 'usd' WHEN 1 THEN 'eur' ELSE 'jpy' END, i % 50 != 0,
                           strftime('%Y-%m-%dT%H:%M:%SZ', 1767225600 + (i * 31) % 31536000, 'unixepoch')
                    FROM n
                    """, arguments: [transactions - 1])
        }
    }
}
