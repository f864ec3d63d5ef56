import AttributionCore
import AttributionTestSupport
import Foundation
import Testing

@testable import AttributionStore

/// The worker's loop reads and parses the next batch while the current one is
/// written; these pin that reading ahead never applies an event twice or skips one.
@Suite("Draining with read-ahead")
struct DrainTests {
    /// Customers with keys and partners, charges (one refunded) and a subscription each.
    static func backlog(customers: Int) -> [String] {
        (0..<customers).flatMap { c -> [String] in
            let t = 1_700_000_000 + c * 10
            return [
                EventFactory.customer(event: "evt_c\(c)", created: t, id: "cus_\(c)", key: "c\(c)@x", partner: "p_\(c % 7)"),
                EventFactory.charge(event: "evt_a\(c)", created: t + 1, id: "ch_\(c)a", amount: 1000 + c, customer: "cus_\(c)"),
                EventFactory.charge(
                    event: "evt_r\(c)", type: "charge.refunded", created: t + 2, id: "ch_\(c)a",
                    amount: 1000 + c, refunded: 100, customer: "cus_\(c)"),
                EventFactory.subscription(event: "evt_s\(c)", created: t, id: "sub_\(c)", customer: "cus_\(c)"),
            ]
        }
    }

    static func openFile() throws -> (AppDatabase, URL) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("attributiond-drain-\(UUID())")
        return (try AppDatabase.open(path: dir.appendingPathComponent("db.sqlite").path), dir)
    }

    @Test("draining a backlog of many batches applies every event exactly once, as batch-by-batch applying does")
    func drainsEverythingOnce() async throws {
        let payloads = Self.backlog(customers: 150)
        let (db, dir) = try Self.openFile()
        defer { try? FileManager.default.removeItem(at: dir) }
        try await db.deliver(payloads)
        var seen: [String] = []
        var batches = 0
        try await db.drainDue(
            batchSize: 64, settings: ApplySettings(), retry: RetryPolicy(), now: { 1_800_000_000 },
            afterBatch: { result, _ in
                seen += result.applied + result.ignored + result.failed.map(\.id)
                batches += 1
            })
        #expect(seen.count == payloads.count)
        #expect(Set(seen).count == payloads.count)
        #expect(batches == (payloads.count + 63) / 64)
        #expect(try db.count("inbox_events", where: "status = 'applied'") == payloads.count)

        let reference = try AppDatabase.makeEmpty()
        try await reference.deliver(payloads)
        try await reference.applyAll()
        #expect(try db.domainDump() == reference.domainDump())
    }

    @Test("an event applied after it was read ahead is skipped, not applied or counted twice")
    func rechecksInsideTheTransaction() async throws {
        let (db, dir) = try Self.openFile()
        defer { try? FileManager.default.removeItem(at: dir) }
        try await db.deliver(Self.backlog(customers: 3))
        let early = try await db.readDue(limit: 100, now: 1_800_000_000)
        #expect(early.count == 12)
        // Something else (an earlier turn, `events retry`) applies them meanwhile.
        #expect(try await db.applyDue(limit: 5, settings: ApplySettings(), now: 1_800_000_000).processed == 5)
        let result = try await db.apply(early, settings: ApplySettings(), now: 1_800_000_000)
        #expect(result.processed == 7)
        #expect(Set(result.applied).isDisjoint(with: ["evt_c0", "evt_a0", "evt_r0", "evt_s0", "evt_c1"]))
        #expect(try await db.apply(early, settings: ApplySettings(), now: 1_800_000_000).processed == 0)
    }

    @Test("when the intake wants the writer a batch commits early, and draining applies the events behind it")
    func yieldsAndResumes() async throws {
        let payloads = Self.backlog(customers: 40)
        let (db, dir) = try Self.openFile()
        defer { try? FileManager.default.removeItem(at: dir) }
        try await db.deliver(payloads)
        let pressure = IntakePressure()
        pressure.set(true)
        let batch = try await db.readDue(limit: 100, now: 1_800_000_000)
        let first = try await db.apply(batch, settings: ApplySettings(), now: 1_800_000_000, pressure: pressure)
        #expect(first.processed == 16)
        #expect(first.yielded)

        // During a burst draining parses only what it applies before yielding: batches of 16.
        var sizes: [Int] = []
        try await db.drainDue(
            batchSize: 100, settings: ApplySettings(), retry: RetryPolicy(), now: { 1_800_000_000 },
            pressure: pressure,
            afterBatch: { result, _ in
                sizes.append(result.processed)
                if sizes.count == 3 { pressure.set(false) }
            })
        #expect(Array(sizes.prefix(3)) == [16, 16, 16])
        #expect(16 + sizes.reduce(0, +) == payloads.count)
        #expect(try db.count("inbox_events", where: "status = 'applied'") == payloads.count)
    }

    @Test("the intake counts as quiet only after it has not flushed for the given time")
    func quietAfterABurst() async throws {
        let pressure = IntakePressure()
        #expect(pressure.isQuiet(forMilliseconds: 200))
        pressure.set(true)
        #expect(!pressure.isQuiet(forMilliseconds: 0))
        pressure.set(false)
        #expect(!pressure.isQuiet(forMilliseconds: 200))
        try await Task.sleep(for: .milliseconds(250))
        #expect(pressure.isQuiet(forMilliseconds: 200))
    }
}
