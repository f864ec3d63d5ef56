import AttributionCore
import AttributionStore
import Foundation
import Testing

/// The three report formats, character for character, on the fixture month.
@Suite struct ReportFormatsGoldenTests {
    static func report(_ request: ReportRequest) async throws -> Report {
        let (db, dir) = try await ReportFixture.makeDatabase()
        defer { try? FileManager.default.removeItem(at: dir) }
        // Through a read-only connection, as the CLI does.
        return try AppDatabase.report(path: db.path, request)
    }

    @Test func tableForAllTime() async throws {
        let text = try await Self.report(ReportRequest()).tableText()
        #expect(text == Self.goldenTable)
    }

    @Test func csvForAllTime() async throws {
        let text = try await Self.report(ReportRequest()).csvText()
        #expect(text == Self.goldenCSV)
    }

    @Test func jsonForNovember() async throws {
        let text = try await Self.report(ReportRequest(from: "2026-11-01", to: "2026-12-01")).jsonText()
        #expect(text == Self.goldenJSON)
    }

    static let goldenTable = """
        Partner report, live mode, all time

        PARTNER       NAME               CUSTOMERS  ACTIVE SUBS  TXNS       GROSS   REFUNDED         NET  COMMISSION
        p_acme        Acme                       2            1     1   1,500 JPY      0 JPY   1,500 JPY     225 JPY
                                                                    3  190.05 USD   5.00 USD  185.05 USD   21.26 USD
        p_beta        -                          1            1     1   20.00 EUR   0.00 EUR   20.00 EUR    3.00 EUR
                                                                    1  12.345 KWD  0.000 KWD  12.345 KWD   2.469 KWD
                                                                    1   33.33 USD   0.00 USD   33.33 USD    6.67 USD
        p_idle        Idle Partners Ltd          0            0     0           -          -           -           -
        unattributed                             1            1     1   70.00 USD   0.00 USD   70.00 USD    0.00 USD

        """

    static let goldenCSV = """
        partner_key,name,customers,active_subscriptions,currency,transactions,gross,refunded,net,commission
        p_acme,Acme,2,1,jpy,1,1500,0,1500,225
        p_acme,Acme,2,1,usd,3,19005,500,18505,2126
        p_beta,,1,1,eur,1,2000,0,2000,300
        p_beta,,1,1,kwd,1,12345,0,12345,2469
        p_beta,,1,1,usd,1,3333,0,3333,667
        p_idle,Idle Partners Ltd,0,0,,0,0,0,0,0
        unattributed,,1,1,usd,1,7000,0,7000,0

        """

    static let goldenJSON = """
        {
          "from" : "2026-11-01",
          "mode" : "live",
          "partners" : [
            {
              "active_subscriptions" : 1,
              "customers" : 2,
              "name" : "Acme",
              "partner_key" : "p_acme",
              "totals" : [
                {
                  "commission" : 225,
                  "currency" : "jpy",
                  "gross" : 1500,
                  "net" : 1500,
                  "refunded" : 0,
                  "transactions" : 1
                },
                {
                  "commission" : 1725,
                  "currency" : "usd",
                  "gross" : 15000,
                  "net" : 14500,
                  "refunded" : 500,
                  "transactions" : 2
                }
              ]
            },
            {
              "active_subscriptions" : 1,
              "customers" : 1,
              "name" : null,
              "partner_key" : "p_beta",
              "totals" : [
                {
                  "commission" : 300,
                  "currency" : "eur",
                  "gross" : 2000,
                  "net" : 2000,
                  "refunded" : 0,
                  "transactions" : 1
                },
                {
                  "commission" : 2469,
                  "currency" : "kwd",
                  "gross" : 12345,
                  "net" : 12345,
                  "refunded" : 0,
                  "transactions" : 1
                },
                {
                  "commission" : 667,
                  "currency" : "usd",
                  "gross" : 3333,
                  "net" : 3333,
                  "refunded" : 0,
                  "transactions" : 1
                }
              ]
            },
            {
              "active_subscriptions" : 0,
              "customers" : 0,
              "name" : "Idle Partners Ltd",
              "partner_key" : "p_idle",
              "totals" : [

              ]
            }
          ],
          "to" : "2026-12-01",
          "unattributed" : {
            "active_subscriptions" : 1,
            "customers" : 1,
            "totals" : [
              {
                "commission" : 0,
                "currency" : "usd",
                "gross" : 7000,
                "net" : 7000,
                "refunded" : 0,
                "transactions" : 1
              }
            ]
          }
        }
        """
}
