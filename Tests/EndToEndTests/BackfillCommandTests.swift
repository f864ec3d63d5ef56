import AttributionCore
import AttributionStore
import AttributionTestSupport
import Foundation
import Testing

/// `attributiond backfill` (docs/import.md) against a fake of Stripe's list API:
/// paging, retries, a refused key, resuming after kill -9, and the key kept out of every output.
@Suite("backfill subcommand", .serialized)
struct BackfillCommandTests {
    static let key = "rk_test_51FakeKeyForTheBackfillTests0123456789"
    static let asOf = "2026-11-30T12:00:00Z"

    /// Stripe's own fixture objects (API 2026-07-29), given ids, customers, keys and amounts.
    static func fixture(_ type: String) throws -> [String: Any] {
        let all = try Fixtures.json("openapi/fixtures3.2026-07-29.dahlia.json")["resources"] as! [String: Any]
        return all[type] as! [String: Any]
    }

    static func versioned(_ file: String) throws -> [String: Any] {
        try Fixtures.json("openapi/\(file)")["2026-07-29.dahlia"] as! [String: Any]
    }

    static func json(_ object: [String: Any]) throws -> String { try EventFactory.serialize(object) }

    /// 250 customers, 150 charges, subscriptions, invoices, sessions, a dispute and 150 events: several pages each.
    static func population() throws -> [String: [String]] {
        let customer = try fixture("customer")
        let charge = try fixture("charge")
        let subscription = try fixture("subscription")
        let invoice = try fixture("invoice")
        let session = try versioned("checkout_session.acacia-dahlia.json")
        let dispute = try versioned("dispute.acacia-dahlia.json")
        var out: [String: [String]] = [:]
        out["/v1/customers"] = try (0..<250).map { n in
            var c = customer
            c["id"] = "cus_\(n)"
            c["email"] = "c\(n)@example.test"
            c["livemode"] = true
            c["created"] = 1_700_000_000 + n
            c["metadata"] = ["customer_key": "key_\(n)", "partner_key": "partner_\(n % 4)"]
            c["discount"] = NSNull()
            return try json(c)
        }
        out["/v1/charges"] = try (0..<150).map { n in
            var c = charge
            c["id"] = "ch_\(n)"
            c["customer"] = "cus_\(n)"
            c["amount"] = 1_000 + n
            c["amount_captured"] = 1_000 + n
            c["amount_refunded"] = n % 10 == 0 ? 1_000 + n : 0
            c["refunded"] = n % 10 == 0
            c["status"] = "succeeded"
            c["captured"] = true
            c["paid"] = true
            c["livemode"] = true
            c["currency"] = "usd"
            c["metadata"] = ["product_key": "pro"]
            c["created"] = 1_700_100_000 + n
            c["invoice"] = NSNull()
            c["payment_intent"] = "pi_\(n)"
            return try json(c)
        }
        out["/v1/subscriptions"] = try (0..<5).map { n in
            var s = subscription
            s["id"] = "sub_\(n)"
            s["customer"] = "cus_\(n)"
            s["status"] = n == 4 ? "canceled" : "active"
            s["livemode"] = true
            return try json(s)
        }
        out["/v1/invoices"] = try (0..<3).map { n in
            var i = invoice
            i["id"] = "in_\(n)"
            i["customer"] = "cus_\(n)"
            i["status"] = "paid"
            i["amount_paid"] = 5_000
            i["livemode"] = true
            return try json(i)
        }
        out["/v1/checkout/sessions"] = try (0..<3).map { n in
            var s = session
            s["id"] = "cs_\(n)"
            s["customer"] = "cus_\(200 + n)"
            s["status"] = "complete"
            s["livemode"] = true
            s["client_reference_id"] = NSNull()
            s["metadata"] = ["customer_key": "key_\(200 + n)"]
            return try json(s)
        }
        out["/v1/promotion_codes"] = []
        out["/v1/disputes"] = try [
            {
                var d = dispute
                d["id"] = "dp_1"
                d["charge"] = "ch_1"
                d["amount"] = 500
                d["status"] = "needs_response"
                d["livemode"] = true
                d["payment_intent"] = NSNull()
                return try json(d)
            }()
        ]
        out["/v1/events"] = (0..<150).map { n in
            EventFactory.customer(
                event: "evt_\(n)", type: "customer.updated", created: 1_764_000_000 + n, id: "cus_\(n)",
                key: "key_\(n)", email: "new\(n)@example.test")
        }
        return out
    }

    /// Runs `backfill` against `fake` on `db`; exit code, stdout, stderr.
    ///
    /// The wait for the process happens on a Dispatch thread: blocking the
    /// test's own (cooperative) threads would starve the fake's handlers, which run there too.
    static func backfill(_ fake: FakeStripe, db: String, keyFile: String) async throws -> (Int32, String, String) {
        let arguments = ["backfill", "--api-key-file", keyFile, "--api-base", fake.base, "--as-of", asOf, "--db", db]
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try DaemonProcess.run(arguments) }) }
        }
    }

    static func keyFile(_ dir: TemporaryDirectory, _ key: String = key) throws -> String {
        let path = dir.path + "/stripe.key"
        try (key + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Every byte of the database and its WAL, as text, to look for the key in.
    static func databaseBytes(_ path: String) -> String {
        ["", "-wal"].compactMap { FileManager.default.contents(atPath: path + $0) }
            .map { String(decoding: $0, as: UTF8.self) }.joined()
    }

    static let faults: [String: [FakeStripe.Fault]] = [
        "/v1/customers after cus_99": [.tooManyRequests(retryAfter: 1)],
        "/v1/charges": [.serverError],
    ]

    @Test("every page is read once, 429 and 500 are retried, and a re-run stores nothing twice; the key is nowhere")
    func fullRun() async throws {
        let fake = FakeStripe(key: Self.key, objects: try Self.population(), faults: Self.faults)
        try await fake.start()
        defer { fake.stop() }
        let dir = try TemporaryDirectory()
        let db = dir.path + "/db.sqlite"
        let (code, out, err) = try await Self.backfill(fake, db: db, keyFile: try Self.keyFile(dir))
        #expect(code == 0, "\(err)")
        #expect(out.contains("stored 150 event(s): customer.updated 150"), "\(out)")
        #expect(
            out.contains("stored 412 snapshot(s): charge 150, checkout.session 3, customer 250, dispute 1, invoice 3, subscription 5"),
            "\(out)")
        #expect(err.contains("Stripe answered 429 for /v1/customers; retrying in 1.0 s"), "\(err)")
        #expect(err.contains("Stripe answered 500 for /v1/charges"), "\(err)")

        let pages = fake.requests.filter { $0.status == 200 }.map { "\($0.path) \($0.startingAfter ?? "-")" }
        #expect(pages.count == Set(pages).count, "no page is read twice: \(pages)")
        let expectedPages = 2 + 3 + 2 + 1 + 1 + 1 + 1 + 1  // events, customers, charges, then one page each
        #expect(pages.count == expectedPages)
        #expect(fake.requests.filter { $0.status != 200 }.map(\.status) == [429, 500])
        #expect(fake.requests.allSatisfy { $0.stripeVersion == "2025-03-31.basil" && $0.query["limit"] == "100" })
        #expect(fake.requests.first { $0.path == "/v1/subscriptions" }?.query["status"] == "all")
        #expect(fake.requests.first { $0.path == "/v1/events" }?.query["created[gte]"] != nil)

        let database = try AppDatabase.open(path: db)
        #expect(try database.count("customers", where: "partner_key IS NOT NULL") == 250)
        // The customer.updated events are older than the snapshots, dated --as-of: the snapshots win.
        #expect(try database.column("SELECT email FROM customers WHERE stripe_customer_id = 'cus_7'") == ["c7@example.test"])
        #expect(try database.count("transactions") == 135, "fully refunded charges are not transactions")
        #expect(try database.column("SELECT amount_disputed FROM transactions WHERE transaction_id = 'ch_1'") == ["500"])
        #expect(try database.column("SELECT DISTINCT origin FROM inbox_events") == ["backfill"])
        #expect(try database.count("inbox_events", where: "status NOT IN ('applied', 'ignored')") == 0)
        #expect(try database.backfillCursor() == nil, "a finished run leaves no cursor")

        let tables = try database.domainDump()
        let inbox = try database.inboxCount()
        let (again, out2, err2) = try await Self.backfill(fake, db: db, keyFile: try Self.keyFile(dir))
        #expect(again == 0, "\(err2)")
        #expect(out2.contains("stored 0 event(s)") && out2.contains("stored 0 snapshot(s)") && out2.contains("562 duplicate(s)"), "\(out2)")
        #expect(try database.domainDump() == tables)
        #expect(try database.inboxCount() == inbox)

        for text in [out, err, out2, err2, Self.databaseBytes(db)] { #expect(!text.contains(Self.key)) }
        #expect(!Self.databaseBytes(db).contains(String(Self.key.suffix(12))))
    }

    @Test("a wrong key stops at once with Stripe's reason, never the key, and stores nothing")
    func wrongKey() async throws {
        let fake = FakeStripe(key: Self.key, objects: try Self.population())
        try await fake.start()
        defer { fake.stop() }
        let dir = try TemporaryDirectory()
        let db = dir.path + "/db.sqlite"
        let wrong = "rk_test_51WrongKeyWrongKeyWrongKey9876"
        let (code, out, err) = try await Self.backfill(fake, db: db, keyFile: try Self.keyFile(dir, wrong))
        #expect(code == 1)
        #expect(err.contains("cannot read /v1/events: Stripe refused the API key (401): Invalid API Key provided"), "\(err)")
        #expect(err.split(separator: "\n").count == 1, "one clear line: \(err)")
        #expect(!err.contains(wrong) && !out.contains(wrong) && !err.contains("rk_test_51W"))
        #expect(fake.requests.count == 1, "a refused key is not retried")
        #expect(try AppDatabase.open(path: db).inboxCount() == 0)
    }

    @Test("a key without a permission stops naming it; the next run resumes where it stopped")
    func missingPermissionThenResume() async throws {
        let fake = FakeStripe(
            key: Self.key, objects: try Self.population(),
            faults: ["/v1/disputes": [.forbidden(permission: "rak_dispute_read")]])
        try await fake.start()
        defer { fake.stop() }
        let dir = try TemporaryDirectory()
        let db = dir.path + "/db.sqlite"
        let (code, _, err) = try await Self.backfill(fake, db: db, keyFile: try Self.keyFile(dir))
        #expect(code == 1)
        #expect(err.contains("the restricted key lacks the rak_dispute_read permission"), "\(err)")
        #expect(!err.contains(Self.key) && !err.contains(String(Self.key.prefix(8)) + "*"), "\(err)")
        let before = fake.requests.count

        let (again, out, err2) = try await Self.backfill(fake, db: db, keyFile: try Self.keyFile(dir))
        #expect(again == 0, "\(err2)")
        #expect(err2.contains("resuming /v1/disputes"), "\(err2)")
        #expect(fake.requests.dropFirst(before).map(\.path) == ["/v1/disputes"], "only what was not read yet")
        #expect(out.contains("stored 1 snapshot(s): dispute 1"), "\(out)")
    }

    @Test("killed with -9 mid-run and run again, it gives the tables of an uninterrupted run")
    func killedAndResumed() async throws {
        let dir = try TemporaryDirectory()
        let keyFile = try Self.keyFile(dir)
        let whole = dir.path + "/whole.sqlite"
        do {
            let fake = FakeStripe(key: Self.key, objects: try Self.population())
            try await fake.start()
            defer { fake.stop() }
            let (code, _, err) = try await Self.backfill(fake, db: whole, keyFile: keyFile)
            #expect(code == 0, "\(err)")
        }

        let fake = FakeStripe(key: Self.key, objects: try Self.population(), delay: .milliseconds(150))
        try await fake.start()
        defer { fake.stop() }
        let killed = dir.path + "/killed.sqlite"
        _ = try AppDatabase.open(path: killed)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: DaemonProcess.binary)
        process.arguments = ["backfill", "--api-key-file", keyFile, "--api-base", fake.base, "--as-of", Self.asOf, "--db", killed]
        process.environment = DaemonProcess.cleanEnvironment()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let database = try AppDatabase.open(path: killed)
        let midway = try await poll(seconds: 60) { try database.count("inbox_events", where: "origin = 'backfill'") >= 250 }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(midway)
        #expect(try database.backfillCursor() != nil, "killed before the end, it left a cursor")

        let (code, _, err) = try await Self.backfill(fake, db: killed, keyFile: keyFile)
        #expect(code == 0, "\(err)")
        #expect(err.contains("backfill: resuming"), "\(err)")
        #expect(try database.domainDump() == (try AppDatabase.open(path: whole).domainDump()))
        #expect(try database.inboxCount() == (try AppDatabase.open(path: whole).inboxCount()))
    }
}
