import AttributionCore
import AttributionStore
import AttributionTestSupport
import Foundation
import Testing

/// `attributiond import` (docs/import.md) run as a user would: files of Stripe list
/// pages, arrays and JSON lines give the tables that webhook delivery of the
/// same events gives, and a bad file stores nothing.
@Suite("import subcommand")
struct ImportCommandTests {
    typealias E = EventFactory

    /// A small history: attributed customers, charges (one refunded), a subscription, a checkout session.
    static let population: [String] = {
        var events: [String] = []
        for n in 0..<12 {
            events.append(
                E.customer(
                    event: "evt_cus_\(n)", created: 1_000 + n, id: "cus_\(n)", key: "key_\(n)",
                    partner: n % 3 == 0 ? nil : "partner_\(n % 3)", email: "c\(n)@x.test"))
            events.append(
                E.charge(
                    event: "evt_ch_\(n)", created: 2_000 + n, id: "ch_\(n)", amount: 1_000 * (n + 1),
                    customer: "cus_\(n)", product: "pro"))
        }
        events.append(
            E.charge(
                event: "evt_ch_3_refund", type: "charge.refunded", created: 3_000, id: "ch_3",
                amount: 4_000, refunded: 4_000, customer: "cus_3"))
        events.append(E.subscription(event: "evt_sub_1", created: 1_500, id: "sub_1", customer: "cus_1"))
        events.append(
            E.envelope(
                id: "evt_cs_0", type: "checkout.session.completed", created: 1_100,
                object: [
                    "id": "cs_0", "object": "checkout.session", "status": "complete", "customer": "cus_0",
                    "client_reference_id": "gspk_" + Data("partner_9".utf8).base64EncodedString(), "livemode": true,
                    "metadata": [String: String](),
                ]))
        return events
    }()

    /// The tables of the population delivered by webhook and applied.
    static func webhookTables() async throws -> [String: [String]] {
        let db = try AppDatabase.makeEmpty()
        try await db.deliver(population)
        try await db.applyAll()
        return try db.domainDump()
    }

    static func listPage(_ items: [String], hasMore: Bool) -> String {
        "{\n  \"object\": \"list\",\n  \"data\": [\n    " + items.joined(separator: ",\n    ")
            + "\n  ],\n  \"has_more\": \(hasMore),\n  \"url\": \"/v1/events\"\n}\n"
    }

    /// The population in each file format `import` reads, each as a list of files.
    static func formats(_ events: [String]) -> [(name: String, files: [String])] {
        let half = events.count / 2
        return [
            ("list pages", [listPage(Array(events[..<half]), hasMore: true) + listPage(Array(events[half...]), hasMore: false)]),
            ("array", ["[" + events.joined(separator: ",\n") + "]"]),
            ("JSON lines", [events.joined(separator: "\n") + "\n"]),
            ("mixed files", [listPage(Array(events[..<half]), hasMore: true), events[half...].joined(separator: "\n")]),
        ]
    }

    @Test("list pages, arrays and JSON lines, in any order, give the tables webhook delivery gives")
    func formatsEqualWebhooks() async throws {
        let expected = try await Self.webhookTables()
        for order in [Self.population, Self.population.reversed()] {
            for format in Self.formats(order) {
                let dir = try TemporaryDirectory()
                let db = dir.path + "/db.sqlite"
                let files = try format.files.enumerated().map { i, text in
                    let path = dir.path + "/export-\(i).json"
                    try text.write(toFile: path, atomically: true, encoding: .utf8)
                    return path
                }
                let (code, out, err) = try DaemonProcess.run(["import", "--db", db] + files)
                #expect(code == 0, "\(format.name): \(err)")
                #expect(out.contains("stored \(Self.population.count) event(s)"), "\(format.name): \(out)")
                #expect(out.contains("0 duplicate(s)"))
                let database = try AppDatabase.open(path: db)
                #expect(try database.domainDump() == expected, "\(format.name)")
                #expect(try database.column("SELECT DISTINCT origin FROM inbox_events") == ["import"])
                #expect(try database.count("inbox_events", where: "status NOT IN ('applied', 'ignored')") == 0)
            }
        }
    }

    @Test("mixed with webhooks of the same events nothing counts twice, and a re-import changes nothing")
    func mixedAndReimport() async throws {
        let expected = try await Self.webhookTables()
        let dir = try TemporaryDirectory()
        let path = dir.path + "/db.sqlite"
        let database = try AppDatabase.open(path: path)
        // Half the history arrived by webhook (and was applied) before the import.
        let delivered = Self.population.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
        try await database.deliver(delivered)
        try await database.applyAll()
        let file = dir.path + "/events.jsonl"
        try (Self.population.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)

        let (code, out, err) = try DaemonProcess.run(["import", file, "--db", path])
        #expect(code == 0, "\(err)")
        #expect(out.contains("stored \(Self.population.count - delivered.count) event(s)"), "\(out)")
        #expect(out.contains("\(delivered.count) duplicate(s) already in the inbox"), "\(out)")
        #expect(try database.domainDump() == expected)

        let inbox = try database.column("SELECT event_id || status FROM inbox_events ORDER BY seq")
        let (again, out2, _) = try DaemonProcess.run(["import", file, "--db", path])
        #expect(again == 0)
        #expect(out2.contains("stored 0 event(s)") && out2.contains("\(Self.population.count) duplicate(s)"), "\(out2)")
        #expect(try database.domainDump() == expected)
        #expect(try database.column("SELECT event_id || status FROM inbox_events ORDER BY seq") == inbox)
    }

    @Test("object exports are stored as snapshots dated --as-of; re-importing them is a duplicate")
    func objectSnapshots() async throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/db.sqlite"
        let file = dir.path + "/customers.json"
        let customers = (0..<3).map { n in
            #"{"id":"cus_\#(n)","object":"customer","created":100,"email":"c\#(n)@x.test","livemode":true,"metadata":{"customer_key":"k\#(n)","partner_key":"p"}}"#
        }
        try Self.listPage(customers, hasMore: false).write(toFile: file, atomically: true, encoding: .utf8)
        let (code, out, err) = try DaemonProcess.run(["import", file, "--as-of", "2026-11-01", "--db", path])
        #expect(code == 0, "\(err)")
        #expect(out.contains("stored 3 snapshot(s): customer 3"), "\(out)")
        let database = try AppDatabase.open(path: path)
        #expect(
            try database.column("SELECT DISTINCT stripe_created_at || ' ' || type FROM inbox_events")
                == ["2026-11-01T00:00:00Z attributiond.import"])
        #expect(try database.column("SELECT customer_key || ' ' || partner_key FROM customers ORDER BY 1") == ["k0 p", "k1 p", "k2 p"])
        let (_, again, _) = try DaemonProcess.run(["import", file, "--db", path])
        #expect(again.contains("3 duplicate(s) already in the inbox: customer 3"), "\(again)")
        let (_, listed, _) = try DaemonProcess.run(["events", "list", "--origin", "import", "--db", path])
        #expect(
            listed.split(separator: "\n").filter { $0.contains(" import ") && $0.contains("attributiond.import") }.count == 3,
            "\(listed)")
        #expect(try DaemonProcess.run(["events", "list", "--origin", "webhook", "--db", path]).1.isEmpty)
        #expect(try DaemonProcess.run(["events", "list", "--origin", "mail", "--db", path]).0 == 2)
        let (_, status, _) = try DaemonProcess.run(["status", "--db", path])
        #expect(status.contains("by origin: webhook 0, import 3, backfill 0, admin 0"), "\(status)")
    }

    @Test("standard input is read like a file; --dry-run counts and stores nothing")
    func stdinAndDryRun() async throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/db.sqlite"
        let text = Self.population.joined(separator: "\n")
        let (dryCode, dry, _) = try Self.run(["import", "--dry-run", "--db", path], stdin: text)
        #expect(dryCode == 0)
        #expect(dry.contains("would store \(Self.population.count) event(s)"), "\(dry)")
        #expect(try AppDatabase.open(path: path).inboxCount() == 0)
        let (code, out, err) = try Self.run(["import", "-", "--db", path], stdin: text)
        #expect(code == 0, "\(err)")
        #expect(out.contains("stored \(Self.population.count) event(s)"), "\(out)")
        #expect(try AppDatabase.open(path: path).domainDump() == (try await Self.webhookTables()))
    }

    struct BadFile: Sendable, CustomStringConvertible {
        var name: String
        var bytes: [UInt8]
        var problem: String
        var description: String { name }
    }

    static let badFiles: [BadFile] = {
        let truncated: [UInt8] = Array(#"[{"id":"cus_1","object":"customer"}, {"id":"cus_2","obj"#.utf8)
        let unknown: [UInt8] = Array("{\"id\":\"cus_1\",\"object\":\"customer\"}\n{\"id\":\"plan_1\",\"object\":\"plan\"}\n".utf8)
        let page: [UInt8] = Array(#"{"object":"list","data":{"id":"cus_1","object":"customer"},"has_more":false}"#.utf8)
        var utf8: [UInt8] = Array("{\"id\":\"cus_1\",\"object\":\"customer\"}\n{\"id\":\"cus_2\",\"object\":\"customer\",\"name\":\"".utf8)
        utf8 += [0xC3, 0x28]
        utf8 += Array("\"}\n".utf8)
        let name = String(repeating: "x", count: 2 << 20)
        let big: [UInt8] = Array("{\"id\":\"cus_1\",\"object\":\"customer\",\"name\":\"\(name)\"}\n".utf8)
        return [
            BadFile(name: "truncated.json", bytes: truncated, problem: "truncated.json: item 2 (line 1): truncated JSON"),
            BadFile(
                name: "unknown.jsonl", bytes: unknown,
                problem: "unknown.jsonl: item 2 (line 2): neither an Event nor a known Stripe object (object: 'plan')"),
            BadFile(name: "page.json", bytes: page, problem: "page.json: item 1 (line 1): a list page whose data is not an array"),
            BadFile(name: "utf8.jsonl", bytes: utf8, problem: "utf8.jsonl: item 2 (line 2): broken JSON: invalid UTF-8"),
            BadFile(name: "big.jsonl", bytes: big, problem: "big.jsonl: item 1 (line 1): item is larger than 1048576 bytes"),
        ]
    }()

    @Test("a bad file imports nothing: exit 1 and each problem with its file and position", arguments: badFiles)
    func badFile(_ bad: BadFile) throws {
        let (name, bytes, problem) = (bad.name, bad.bytes, bad.problem)
        let dir = try TemporaryDirectory()
        let path = dir.path + "/db.sqlite"
        let good = dir.path + "/good.jsonl"
        try (Self.population.joined(separator: "\n")).write(toFile: good, atomically: true, encoding: .utf8)
        let bad = dir.path + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: bad))
        let (code, out, err) = try DaemonProcess.run(["import", good, bad, "--db", path])
        #expect(code == 1)
        #expect(err.contains(problem), "\(err)")
        #expect(err.contains("nothing was stored"), "\(err)")
        #expect(out.isEmpty)
        #expect(try AppDatabase.open(path: path).inboxCount() == 0, "the good file is not imported either")
    }

    @Test("problems are listed up to 20; a missing file is a usage error")
    func manyProblems() throws {
        let dir = try TemporaryDirectory()
        let file = dir.path + "/plans.jsonl"
        try (0..<30).map { #"{"id":"plan_\#($0)","object":"plan"}"# }.joined(separator: "\n")
            .write(toFile: file, atomically: true, encoding: .utf8)
        let (code, _, err) = try DaemonProcess.run(["import", file, "--db", dir.path + "/db.sqlite"])
        #expect(code == 1)
        #expect(err.split(separator: "\n").filter { $0.contains("plans.jsonl: item") }.count == 20)
        #expect(err.contains("and 10 more") && err.contains("30 invalid item(s)"), "\(err)")
        let (missing, _, why) = try DaemonProcess.run(["import", dir.path + "/nope.json", "--db", dir.path + "/db.sqlite"])
        #expect(missing == 2 && why.contains("cannot read \(dir.path)/nope.json"), "\(why)")
    }

    @Test(
        "a file larger than the memory bound imports in bounded memory (peak RSS under 100 MB)",
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/time")))
    func boundedMemory() throws {
        // 600 customers of 200 KB each: 120 MB, more than the bound, so only a streaming import stays under it.
        let dir = try TemporaryDirectory()
        let file = dir.path + "/wide.jsonl"
        FileManager.default.createFile(atPath: file, contents: nil)
        let handle = try #require(FileHandle(forWritingAtPath: file))
        let pad = String(repeating: "x", count: 200_000)
        for n in 0..<600 {
            let line =
                #"{"id":"cus_\#(n)","object":"customer","email":"c\#(n)@x.test","livemode":true,"metadata":{"customer_key":"k\#(n)"},"description":"\#(pad)"}"#
                + "\n"
            handle.write(Data(line.utf8))
        }
        try handle.close()
        let size = try #require(FileManager.default.attributesOfItem(atPath: file)[.size] as? Int)
        #expect(size > 100 << 20)
        let db = dir.path + "/db.sqlite"
        let (code, out, err) = try Self.run(
            ["-f", "peak-rss-kb %M", DaemonProcess.binary, "import", file, "--db", db],
            executable: "/usr/bin/time")
        #expect(code == 0, "\(err)")
        #expect(out.contains("stored 600 snapshot(s): customer 600"), "\(out)")
        let peak = try #require(err.split(separator: "\n").last { $0.hasPrefix("peak-rss-kb ") }.flatMap { Int($0.dropFirst(12)) })
        #expect(peak < 100_000, "peak RSS \(peak) KB")
        #expect(try AppDatabase.open(path: db).count("customers") == 600)
    }

    /// Runs the binary (or `executable`) with `stdin` as its standard input; exit code, stdout and stderr.
    static func run(
        _ arguments: [String], stdin: String = "",
        executable: String = DaemonProcess.binary
    ) throws -> (Int32, String, String) {
        let dir = try TemporaryDirectory()
        let input = dir.path + "/stdin"
        let output = dir.path + "/stdout"
        let errors = dir.path + "/stderr"
        try stdin.write(toFile: input, atomically: true, encoding: .utf8)
        for path in [output, errors] { FileManager.default.createFile(atPath: path, contents: nil) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = DaemonProcess.cleanEnvironment()
        process.standardInput = FileHandle(forReadingAtPath: input)
        process.standardOutput = FileHandle(forWritingAtPath: output)
        process.standardError = FileHandle(forWritingAtPath: errors)
        try process.run()
        process.waitUntilExit()
        return (
            process.terminationStatus, try String(contentsOfFile: output, encoding: .utf8),
            try String(contentsOfFile: errors, encoding: .utf8)
        )
    }
}
