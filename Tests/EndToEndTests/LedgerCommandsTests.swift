import AttributionCore
import AttributionStore
import AttributionTestSupport
import Foundation
import Testing

/// The ledger's commands through the real binary, on a database built from
/// fixture events: each format character for character, and every bad input
/// refused with one line, its exit code, and nothing written.
@Suite("Ledger commands (end to end)")
struct LedgerCommandsTests {
    typealias E = EventFactory
    static let jan1: Int64 = 1_767_225_600  // 2026-01-01T00:00:00Z
    static let day: Int64 = 86_400
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("attributiond-ledger-\(UUID()).sqlite").path

    func cleanup() { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + s) } }

    /// Acme (with an email) and Beta (without) each refer one customer; 10 % by
    /// default, Beta 5.00 USD flat; a payout paid, then a refund after it (a clawback).
    func prepare() async throws -> AppDatabase {
        let db = try AppDatabase.open(path: path)
        let jan1 = Self.jan1
        let day = Self.day
        try await db.recordPartner(key: "p_acme", name: "Acme", email: "pay@acme.example", settings: ApplySettings(), now: jan1)
        try await db.recordPartner(key: "p_beta", name: "Beta", email: nil, settings: ApplySettings(), now: jan1)
        try db.recordRuleChange(partnerKey: nil, productKey: nil, reward: .percent(bps: 1000), from: nil, now: jan1)
        try db.recordRuleChange(
            partnerKey: "p_beta", productKey: nil, reward: .flat(amount: 500, currency: "usd"),
            from: nil, now: jan1)
        try db.recordHold(days: 14, now: jan1)
        try await db.deliver([
            E.customer(event: "evt_c1", created: Int(jan1), id: "cus_1", key: "ann", partner: "p_acme", email: "ann@x.example"),
            E.customer(event: "evt_c2", created: Int(jan1), id: "cus_2", key: "bob", partner: "p_beta", email: "bob@x.example"),
            E.charge(event: "evt_1", created: Int(jan1 + day), id: "ch_1", amount: 10_000, customer: "cus_1"),
            E.charge(event: "evt_2", created: Int(jan1 + 2 * day), id: "ch_2", amount: 4_990, customer: "cus_1"),
            E.charge(event: "evt_3", created: Int(jan1 + 3 * day), id: "ch_3", amount: 2_000, customer: "cus_2"),
        ])
        try await db.applyAll()
        _ = try db.createPayout(AppDatabase.PayoutRequest(asOf: jan1 + 31 * day), now: jan1 + 31 * day, id: "po_jan")
        try db.markPayoutPaid("po_jan", reference: "wire-0131", now: jan1 + 32 * day)
        try await db.deliver([
            E.charge(
                event: "evt_1r", type: "charge.refunded", created: Int(jan1 + 40 * day), id: "ch_1",
                amount: 10_000, refunded: 10_000, customer: "cus_1")
        ])
        try await db.deliver([
            E.charge(
                event: "evt_4", created: Int(jan1 + 41 * day), id: "ch_4", amount: 20_000,
                customer: "cus_1")
        ])
        try await db.applyAll()
        _ = try db.createPayout(AppDatabase.PayoutRequest(asOf: jan1 + 60 * day), now: jan1 + 60 * day, id: "po_feb")
        return db
    }

    func run(_ arguments: String...) throws -> (code: Int32, out: String, err: String) {
        let (code, out, err) = try DaemonProcess.run(arguments + ["--db", path])
        return (code, out, err)
    }

    @Test("balances, payouts list|show|export and rewards list print their goldens")
    func goldens() async throws {
        defer { cleanup() }
        _ = try await prepare()
        for (arguments, golden) in Self.goldens {
            let (code, out, err) = try DaemonProcess.run(arguments + ["--db", path])
            #expect(code == 0, "\(arguments): \(err)")
            #expect(out == golden, "\(arguments.joined(separator: " "))")
        }
    }

    @Test("exports warn on stderr about a partner without an email; PayPal's file leaves it out")
    func exportWarnings() async throws {
        defer { cleanup() }
        _ = try await prepare()
        let csv = try run("payouts", "export", "po_jan")
        #expect(csv.err == "attributiond: warning: partner p_beta has no email\n")
        #expect(csv.out.contains("po_jan,p_beta,Beta,,usd,5.00"))
        let paypal = try run("payouts", "export", "po_jan", "--format", "paypal", "--currency", "usd")
        #expect(paypal.out == "pay@acme.example,14.99,USD,po_jan-p_acme,Commission po_jan\n")
        #expect(paypal.err.contains("partner p_beta has no email: left out of the PayPal file"))
    }

    @Test("bad input: one line, exit 2 for the command line, 1 against the database, nothing written")
    func refusals() async throws {
        defer { cleanup() }
        let db = try await prepare()
        let events = try db.count("inbox_events")
        let cases: [([String], Int32)] = [
            (["rewards", "set", "--percent", "5", "--months", "0"], 2),
            (["rewards", "set", "--percent", "5", "--payments", "-1"], 2),
            (["rewards", "set", "--percent", "5", "--from", "next tuesday"], 2),
            (["rewards", "set", "--percent", "5", "--partner", "p_typo"], 1),
            (["rewards", "end", "--product", "never-had-a-rule"], 1),
            (["rewards", "hold", "-3"], 2),
            (["customers", "approve", "nobody"], 1),
            (["payouts", "create", "--minimum", "50"], 2),
            (["payouts", "create", "--as-of", "2999-01-01"], 2),
            (["payouts", "create", "--partner", "p_typo"], 1),
            (["payouts", "show", "po_nope"], 1),
            (["payouts", "mark-paid", "po_nope"], 1),
            (["payouts", "void", "po_jan"], 1),  // paid
            (["payouts", "export", "po_jan", "--format", "paypal"], 2),
            (["balances", "--mode", "sandbox"], 2),
        ]
        for (arguments, expected) in cases {
            let (code, out, err) = try DaemonProcess.run(arguments + ["--db", path])
            #expect(code == expected, "\(arguments.joined(separator: " ")): \(err)")
            #expect(out.isEmpty && err.split(separator: "\n").count == 1, "\(arguments): \(out) \(err)")
        }
        // A voided payout cannot be marked paid.
        #expect(try run("payouts", "void", "po_feb").code == 0)
        let marked = try run("payouts", "mark-paid", "po_feb")
        #expect(marked.code == 1 && marked.err == "attributiond: cannot mark payout po_feb paid: it was voided\n")
        #expect(try db.count("inbox_events") == events + 1)
        // Nothing due and --dry-run record nothing.
        #expect(try run("payouts", "create", "--dry-run", "--as-of", "2026-06-01").out.hasPrefix("dry run: nothing recorded"))
        #expect(try db.count("inbox_events") == events + 1)
    }

    static let goldens: [([String], String)] = [
        (
            ["balances"],
            """
            Partner balances, live mode

            PARTNER  NAME  CURRENCY     EARNED   PENDING      HELD       PAID       DUE
            p_acme   Acme  USD       24.99 USD  0.00 USD  0.00 USD  24.99 USD  0.00 USD
            p_beta   Beta  USD        5.00 USD  0.00 USD  0.00 USD   5.00 USD  0.00 USD

            """
        ),
        (
            ["balances", "--format", "csv"],
            """
            partner_key,name,livemode,currency,earned,pending,held,paid,due
            p_acme,Acme,1,usd,2499,0,0,2499,0
            p_beta,Beta,1,usd,500,0,0,500,0

            """
        ),
        (
            ["balances", "--format", "json"],
            """
            [
              {
                "currency" : "usd",
                "due" : 0,
                "earned" : 2499,
                "held" : 0,
                "livemode" : true,
                "name" : "Acme",
                "paid" : 2499,
                "partner_key" : "p_acme",
                "pending" : 0
              },
              {
                "currency" : "usd",
                "due" : 0,
                "earned" : 500,
                "held" : 0,
                "livemode" : true,
                "name" : "Beta",
                "paid" : 500,
                "partner_key" : "p_beta",
                "pending" : 0
              }
            ]

            """
        ),
        (
            ["balances", "--mode", "test"],
            """
            No commissions yet (test mode).

            """
        ),
        (
            ["payouts", "list"],
            """
            PAYOUT  CREATED               AS OF                 STATUS   LINES  TOTAL
            po_feb  2026-03-02T00:00:00Z  2026-03-02T00:00:00Z  created      1  10.00 USD
            po_jan  2026-02-01T00:00:00Z  2026-02-01T00:00:00Z  paid         2  19.99 USD

            """
        ),
        (
            ["payouts", "show", "po_feb"],
            """
            Payout po_feb: created
            created 2026-03-02T00:00:00Z, as of 2026-03-02T00:00:00Z, hold 14 days

            PARTNER  NAME  EMAIL             ITEMS     AMOUNT
            p_acme   Acme  pay@acme.example      2  10.00 USD

            Total: 10.00 USD

            """
        ),
        (
            ["payouts", "show", "po_feb", "--format", "csv"],
            """
            payout_id,partner_key,transaction_id,occurred_at,currency,amount
            po_feb,p_acme,ch_1,2026-01-02T00:00:00Z,usd,-1000
            po_feb,p_acme,ch_4,2026-02-11T00:00:00Z,usd,2000

            """
        ),
        (
            ["payouts", "show", "po_jan", "--format", "json"],
            """
            {
              "as_of" : "2026-02-01T00:00:00Z",
              "created_at" : "2026-02-01T00:00:00Z",
              "hold_days" : 14,
              "items" : [
                {
                  "amount" : 1000,
                  "currency" : "usd",
                  "occurred_at" : "2026-01-02T00:00:00Z",
                  "partner_key" : "p_acme",
                  "transaction_id" : "ch_1"
                },
                {
                  "amount" : 499,
                  "currency" : "usd",
                  "occurred_at" : "2026-01-03T00:00:00Z",
                  "partner_key" : "p_acme",
                  "transaction_id" : "ch_2"
                },
                {
                  "amount" : 500,
                  "currency" : "usd",
                  "occurred_at" : "2026-01-04T00:00:00Z",
                  "partner_key" : "p_beta",
                  "transaction_id" : "ch_3"
                }
              ],
              "lines" : [
                {
                  "amount" : 1499,
                  "currency" : "usd",
                  "email" : "pay@acme.example",
                  "items" : 2,
                  "name" : "Acme",
                  "partner_key" : "p_acme"
                },
                {
                  "amount" : 500,
                  "currency" : "usd",
                  "items" : 1,
                  "name" : "Beta",
                  "partner_key" : "p_beta"
                }
              ],
              "paid_at" : "2026-02-02T00:00:00Z",
              "payout_id" : "po_jan",
              "reference" : "wire-0131",
              "status" : "paid"
            }

            """
        ),
        (
            ["payouts", "export", "po_feb"],
            """
            payout_id,partner_key,name,email,currency,amount
            po_feb,p_acme,Acme,pay@acme.example,usd,10.00

            """
        ),
        (
            ["payouts", "export", "po_feb", "--format", "json"],
            """
            [
              {
                "amount" : "10.00",
                "currency" : "usd",
                "email" : "pay@acme.example",
                "name" : "Acme",
                "partner_key" : "p_acme",
                "payout_id" : "po_feb"
              }
            ]

            """
        ),
        (
            ["rewards", "list", "--all"],
            """
            hold period: 14 days
            PARTNER  PRODUCT  REWARD                    LIMIT  FROM       RECORDED
            (all)    (all)    10 %                      -      beginning  2026-01-01T00:00:00Z
            p_beta   (all)    5.00 USD per transaction  -      beginning  2026-01-01T00:00:00Z

            """
        ),
    ]
}
