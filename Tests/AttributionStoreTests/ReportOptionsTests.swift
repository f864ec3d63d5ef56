import AttributionCore
import AttributionStore
import Foundation
import GRDB
import Testing

/// What `--from/--to`, `--partner` and `--mode` select, and that the report
/// reads through a read-only connection.
@Suite struct ReportOptionsTests {
    static func withFixture(_ body: (AppDatabase) async throws -> Void) async throws {
        let (db, dir) = try await ReportFixture.makeDatabase()
        defer { try? FileManager.default.removeItem(at: dir) }
        try await body(db)
    }

    @Test func periodIsHalfOpenOnOccurredAt() async throws {
        try await Self.withFixture { db in
            // ch_8 occurred 2026-10-15: in October, not in November.
            let october = try db.report(ReportRequest(from: "2026-10-01", to: "2026-11-01"))
            let acme = try #require(october.partners.first { $0.partnerKey == "p_acme" })
            #expect(
                acme.totals == [
                    CurrencyTotals(
                        currency: "usd", transactions: 1, gross: 4005, refunded: 0,
                        net: 4005, commission: 401)
                ])
            // A bound at the exact second of a transaction: included by --from, excluded by --to.
            let ch1 = "2026-11-03T00:00:00Z"
            #expect(
                try db.report(ReportRequest(from: ch1, to: "2026-11-04")).partners
                    .first { $0.partnerKey == "p_acme" }?.totals.first?.transactions == 1)
            #expect(
                try db.report(ReportRequest(from: "2026-11-03", to: ch1)).partners
                    .first { $0.partnerKey == "p_acme" }?.totals.isEmpty == true)
        }
    }

    @Test func onePartnerAloneAndNoUnattributedEntry() async throws {
        try await Self.withFixture { db in
            let report = try db.report(ReportRequest(partner: "p_beta"))
            #expect(report.partners.map(\.partnerKey) == ["p_beta"])
            #expect(report.unattributed == nil)
            #expect(try report.jsonText().contains(#""unattributed" : null"#))
            #expect(throws: StoreError.self) { try db.report(ReportRequest(partner: "p_nobody")) }
        }
    }

    @Test func modesSeparateLiveAndTestData() async throws {
        try await Self.withFixture { db in
            let test = try db.report(ReportRequest(mode: .test))
            let acme = try #require(test.partners.first { $0.partnerKey == "p_acme" })
            #expect(acme.customers == 1)
            #expect(
                acme.totals == [
                    CurrencyTotals(
                        currency: "usd", transactions: 1, gross: 999, refunded: 0,
                        net: 999, commission: 150)
                ])
            let all = try db.report(ReportRequest(mode: .all))
            #expect(all.partners.first { $0.partnerKey == "p_acme" }?.customers == 3)
            #expect(all.partners.first { $0.partnerKey == "p_acme" }?.totals.first { $0.currency == "usd" }?.transactions == 4)
            #expect(!test.onlyTestData && !all.onlyTestData)
        }
    }

    @Test func liveReportSaysWhenOnlyTestDataExists() async throws {
        let db = try AppDatabase.makeEmpty()
        _ = try await db.insert(
            [
                ReportFixture.charge(
                    "ch_t", customer: "cus_x", amount: 100, currency: "usd",
                    product: nil, at: ReportFixture.nov1, livemode: false)
            ],
            receivedAt: ReportFixture.now)
        _ = try await db.applyDue(settings: ApplySettings(), now: ReportFixture.now)
        let report = try db.report(ReportRequest())
        #expect(report.onlyTestData)
        #expect(report.tableText().contains("No live-mode transactions in this period, but test-mode ones exist"))
        #expect(try !db.report(ReportRequest(mode: .test)).tableText().contains("No live-mode"))
    }

    @Test func totalsEqualTheViewWithTheRulesAppliedOneByOne() async throws {
        try await Self.withFixture { db in
            let rules = RewardRules(try db.rewardRules())
            var expected: [String: CurrencyTotals] = [:]
            let rows = try db.writer.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM attributed_transactions WHERE livemode = 1")
            }
            for row in rows {
                let partner: String? = row["partner_key"]
                let currency: String = row["currency"]
                var t =
                    expected["\(partner ?? "-")/\(currency)"]
                    ?? CurrencyTotals(currency: currency, transactions: 0, gross: 0, refunded: 0, net: 0, commission: 0)
                t.transactions += 1
                t.gross += row["amount"]
                t.refunded += row["amount_refunded"]
                t.net += row["net_amount"]
                t.commission += rules.commission(
                    net: row["net_amount"], currency: currency, partner: partner,
                    product: row["product_key"])
                expected["\(partner ?? "-")/\(currency)"] = t
            }
            // Both the single scan and the scan split over two connections.
            for split in [AppDatabase.parallelScanThreshold, 0] {
                let report = try db.report(ReportRequest(), splitScanAbove: split)
                var actual: [String: CurrencyTotals] = [:]
                for entry in report.partners + [report.unattributed!] {
                    for t in entry.totals { actual["\(entry.partnerKey ?? "-")/\(t.currency)"] = t }
                }
                #expect(actual == expected)
            }
        }
    }

    @Test func readOnlyConnectionCannotWrite() async throws {
        try await Self.withFixture { db in
            let reader = try AppDatabase.open(path: db.path, readonly: true)
            #expect(throws: (any Error).self) {
                try reader.writer.write { try $0.execute(sql: "DELETE FROM transactions") }
            }
            #expect(try reader.report(ReportRequest()).partners.count == 3)
        }
    }

    /// In one scan, and with the scan split in two halves (a file database) whose merged sums overflow.
    @Test(arguments: [false, true])
    func sumsBeyond64BitsAreAnErrorNotAWrongTotal(split: Bool) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("attributiond-overflow-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = split ? try AppDatabase.open(path: dir.appendingPathComponent("db.sqlite").path) : try AppDatabase.makeEmpty()
        try db.writer.write { db in
            for id in ["ch_big_1", "ch_big_2"] {
                try db.execute(
                    sql: """
                        INSERT INTO transactions (transaction_id, source, stripe_customer_id, amount, amount_refunded,
                                                  currency, livemode, occurred_at)
                        VALUES (?, 'charge', 'cus_big', ?, 0, 'usd', 1, '2026-11-03T00:00:00Z')
                        """, arguments: [id, Int64.max - 1])
            }
        }
        #expect { try db.report(ReportRequest(), splitScanAbove: split ? 0 : AppDatabase.parallelScanThreshold) } throws: {
            "\($0)".contains("overflow")
        }
    }
}
