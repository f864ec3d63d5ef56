import AttributionCore
import AttributionStore
import AttributionTestSupport
import Foundation
import GRDB
import Testing

/// `kill -9` under load: thousands of signed events from concurrent clients, the
/// daemon killed at random moments and restarted on the same database, every
/// unanswered event redelivered (as Stripe does) and some answered ones too.
///
/// Pins docs/events.md "never 200 without a durable write" and "each event's effect
/// happens exactly once, even across crashes": every 200 is in the inbox, every
/// event is applied once, the tables equal a clean in-process run, and SQLite
/// reports no corruption. Between kills an administrator sets reward rules, the
/// hold and creates a payout (admin events in the same inbox), and the clean run
/// gets those too. `ATTRIBUTIOND_TORTURE=long` runs the long variant.
@Suite("Crash torture: kill -9 under load", .serialized)
struct CrashTortureTests {
    struct Plan {
        var events: Int
        var clients: Int
        var kills: Int
        var seed: UInt64
    }

    static let secret = "whsec_torture"

    static var plan: Plan {
        let env = ProcessInfo.processInfo.environment
        let seed = env["ATTRIBUTIOND_TORTURE_SEED"].flatMap(UInt64.init) ?? 7
        return env["ATTRIBUTIOND_TORTURE"] == "long"
            ? Plan(events: 20_000, clients: 8, kills: 10, seed: seed)
            : Plan(events: 2_000, clients: 4, kills: 3, seed: seed)
    }

    @Test("every event answered 200 survives kill -9, is applied exactly once, and the tables equal a clean run")
    func killNineUnderLoad() async throws {
        let plan = Self.plan
        let now = Int(Date().timeIntervalSince1970)
        let events = TortureEvents.make(count: plan.events, seed: plan.seed, now: now)
        var rng = SeededGenerator(seed: plan.seed)
        let first = try DaemonProcess(environment: ["STRIPE_WEBHOOK_SECRET": Self.secret])
        let directory = first.directory
        let current = DaemonBox(first)
        defer {
            current.daemon.kill9()
            try? FileManager.default.removeItem(at: directory)
        }
        let state = TortureState(count: events.count, port: first.port)

        // Given several clients delivering every event, keep-alive, on threads of their own
        let clients = ClientGroup()
        for _ in 0..<plan.clients {
            clients.start { Self.client(state: state, events: events) }
        }

        // When the daemon is killed at random moments and restarted on the same database.
        // The killer runs on a thread of its own, so a busy test executor cannot make it miss
        // its moments; clients hold back half a step past a kill's moment until it has happened.
        let step = plan.events / (plan.kills + 1)
        let moments = (1...plan.kills).map { step * $0 + Int.random(in: -(step / 3)...(step / 3), using: &rng) }
        let pauses = moments.map { _ in UInt32.random(in: 0..<20_000, using: &rng) }
        let killer = ClientGroup()
        let killCount = LockedCounter()
        // Rules in time, the hold and a payout: the ledger's admin events, amid the kills.
        let adminCommands: [[String]] = [
            ["rewards", "set", "--percent", "10"], ["rewards", "hold", "0"], ["payouts", "create"],
            ["rewards", "set", "--percent", "15", "--from", Timestamp.iso(Int64(now - 3_600))],
        ]
        let failures = AdminFailures()
        killer.start {
            for (moment, pause) in zip(moments, pauses) {
                state.setHold(moment + step / 2)
                while state.ackedCount < moment && !state.isFinished { usleep(1_000) }
                if state.isFinished { return }
                usleep(pause)
                state.setPort(0)
                current.daemon.kill9()
                killCount.increment()
                guard let next = try? DaemonProcess(environment: ["STRIPE_WEBHOOK_SECRET": Self.secret], directory: directory)
                else {
                    state.setHold(Int.max)
                    return
                }
                current.daemon = next
                state.setHold(Int.max)
                state.setPort(next.port)
                // An administrator at work meanwhile: each command is an admin event in the same inbox.
                let command = adminCommands[(killCount.value - 1) % adminCommands.count]
                let (code, _, why) = (try? DaemonProcess.run(command + ["--db", next.databasePath])) ?? (-1, "", "not run")
                if code != 0 { failures.add("\(command.joined(separator: " ")): \(why)") }
            }
        }
        #expect(await killer.wait(timeout: 600), "the killer finished")
        let kills = killCount.value
        let daemon = current.daemon
        let clientsDone = await clients.wait(timeout: 600)
        #expect(clientsDone, "clients finished delivering")

        // And some events already answered 200 are delivered once more
        let again = state.acked.shuffled(using: &rng).prefix(max(plan.events / 10, 1))
        let connection = try RawHTTPConnection(port: daemon.port)
        var duplicates = 0
        for index in again {
            let response = Self.deliver(events[index].payload, on: connection)
            if response?.status == 200 && response?.body.contains(#""duplicate":true"#) == true { duplicates += 1 }
        }
        #expect(duplicates == again.count, "redelivered events are recognised as duplicates")

        // Then the worker drains the inbox, and the daemon stops cleanly
        let db = try AppDatabase.open(path: daemon.databasePath, readonly: true)
        let drained = try await poll(seconds: 300) {
            try db.count("inbox_events", where: "status IN ('pending', 'failed')") == 0
        }
        #expect(drained, "the worker applied every event")
        #expect(try daemon.stop() == 0)

        #expect(failures.all.isEmpty, "admin commands failed: \(failures.all)")
        let acked = state.acked
        let stripeOnly = "type NOT LIKE 'attributiond.%'"
        let ids = Set(try db.column("SELECT event_id FROM inbox_events WHERE \(stripeOnly)").compactMap { $0 })
        let lost = acked.filter { !ids.contains(events[$0].id) }
        #expect(acked.count == events.count, "every event was eventually answered 200")
        #expect(lost.isEmpty, "events answered 200 but missing: \(lost.prefix(5).map { events[$0].id })")
        #expect(ids.count == events.count)
        #expect(try db.count("inbox_events", where: stripeOnly) == events.count, "no duplicate rows")
        #expect(
            try db.count("inbox_events", where: "status = 'applied' AND attempts = 0 AND \(stripeOnly)") == events.count,
            "each event applied once, never failed")
        #expect(try db.count("inbox_events", where: "type = 'attributiond.payout'") == 1, "the payout is in the inbox")
        #expect(try db.count("inbox_events", where: "status <> 'applied'") == 0, "admin events applied too")
        #expect(try db.column("PRAGMA integrity_check") == ["ok"])

        let clean = try AppDatabase.makeEmpty()
        // The clean run gets the same admin events, as a rebuild would read them from the inbox.
        let adminPayloads = try db.column("SELECT payload FROM inbox_events WHERE NOT (\(stripeOnly)) ORDER BY seq").compactMap { $0 }
        try await clean.deliver(events.map(\.payload) + adminPayloads)
        try await clean.applyAll(batch: 200)
        let expected = try clean.domainDump()
        let actual = try db.domainDump()
        for table in expected.keys.sorted() {
            #expect(actual[table] == expected[table], "\(table) differs from a clean run")
        }
        #expect((expected["transactions"]?.count ?? 0) > 0 && (expected["subscriptions"]?.count ?? 0) > 0)

        let figures =
            "crash torture: events \(events.count), deliveries sent \(state.sentCount), kills \(kills), "
            + "acknowledged \(acked.count), lost \(lost.count), redelivered acknowledged \(again.count), "
            + "connections cut by kills \(state.cutCount), seed \(plan.seed)"
        print(figures)
        #expect(kills == plan.kills)
    }

    /// One client: takes events from the shared queue, signs each at send time,
    /// and puts back whatever was not answered 200 (a cut connection, a refused connect).
    static func client(state: TortureState, events: [(id: String, payload: String)]) {
        var connection: RawHTTPConnection?
        while let index = state.next() {
            let port = state.port
            if connection == nil {
                guard port != 0, let c = try? RawHTTPConnection(port: port, timeout: 30) else {
                    state.requeue(index, cut: false)
                    usleep(10_000)
                    continue
                }
                connection = c
            }
            state.countSent()
            guard let response = deliver(events[index].payload, on: connection!) else {
                connection = nil
                state.requeue(index, cut: true)
                continue
            }
            if response.status == 200 { state.ack(index) } else { state.requeue(index, cut: false) }
            if response.headers["connection"] == "close" { connection = nil }
        }
    }

    static func deliver(_ payload: String, on connection: RawHTTPConnection) -> RawHTTPResponse? {
        let body = Array(payload.utf8)
        let signature = StripeSignatureVerifier.header(
            payload: body, secret: secret,
            timestamp: Int64(Date().timeIntervalSince1970))
        guard
            connection.send(
                RawHTTPConnection.request(
                    headers: [
                        ("Stripe-Signature", signature),
                        ("Content-Type", "application/json"),
                    ], body: body))
        else { return nil }
        return connection.readResponse()
    }
}

/// What the clients share: the queue of events to (re)deliver, those answered
/// 200, and the daemon's current port (0 while it is down).
final class TortureState: @unchecked Sendable {  // every field behind `lock`
    private let lock = NSLock()
    private var queue: [Int]
    private var inFlight = 0
    private var ackedSet = Set<Int>()
    private var currentPort: Int
    private var sent = 0
    private var cut = 0
    private var hold = Int.max

    init(count: Int, port: Int) {
        queue = Array((0..<count).reversed())
        currentPort = port
    }

    /// The next event to deliver; nil once the queue is empty and nothing is in flight.
    func next() -> Int? {
        while true {
            let (index, finished): (Int?, Bool) = lock.withLock {
                if ackedSet.count >= hold { return (nil, false) }
                if let i = queue.popLast() {
                    inFlight += 1
                    return (i, false)
                }
                return (nil, inFlight == 0)
            }
            if let index { return index }
            if finished { return nil }
            usleep(2_000)
        }
    }

    func ack(_ index: Int) {
        lock.withLock {
            ackedSet.insert(index)
            inFlight -= 1
        }
    }
    func requeue(_ index: Int, cut wasCut: Bool) {
        lock.withLock {
            queue.insert(index, at: 0)
            inFlight -= 1
            if wasCut { cut += 1 }
        }
    }
    func countSent() { lock.withLock { sent += 1 } }
    func setPort(_ port: Int) { lock.withLock { currentPort = port } }
    /// Clients take no new event while this many are acknowledged (a kill is due).
    func setHold(_ count: Int) { lock.withLock { hold = count } }
    var port: Int { lock.withLock { currentPort } }
    var ackedCount: Int { lock.withLock { ackedSet.count } }
    var acked: [Int] { lock.withLock { ackedSet.sorted() } }
    var sentCount: Int { lock.withLock { sent } }
    var cutCount: Int { lock.withLock { cut } }
    var isFinished: Bool { lock.withLock { queue.isEmpty && inFlight == 0 } }
}

/// The daemon now running, replaced after each kill.
final class DaemonBox: @unchecked Sendable {  // written by the killer thread only, read after it finished
    var daemon: DaemonProcess
    init(_ daemon: DaemonProcess) { self.daemon = daemon }
}

/// A count shared between threads.
final class LockedCounter: @unchecked Sendable {  // behind `lock`
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}

/// Threads running blocking socket clients, awaited without blocking the test's executor.
final class ClientGroup: @unchecked Sendable {  // `group` is thread-safe
    private let group = DispatchGroup()

    func start(_ body: @escaping @Sendable () -> Void) {
        group.enter()
        Thread.detachNewThread { [group] in
            body()
            group.leave()
        }
    }

    /// True if every client finished within `timeout` seconds.
    func wait(timeout: Double) async -> Bool {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { [group] in
                continuation.resume(returning: group.wait(timeout: .now() + timeout) == .success)
            }
        }
    }
}

/// What the administrator's commands in the torture printed when they failed.
final class AdminFailures: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func add(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}
