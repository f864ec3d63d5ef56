import AttributionCore
import AttributionStore
import AttributionTestSupport
import Foundation
import Testing

@Suite("Inbox")
struct InboxTests {
    @Test("an event is stored byte for byte; its duplicate changes nothing")
    func duplicates() async throws {
        let db = try AppDatabase.makeEmpty()
        let payload = EventFactory.customer(event: "evt_1", created: 100, id: "cus_1")
        #expect(try await db.deliver([payload]) == [.stored])
        #expect(try await db.deliver([payload], receivedAt: 1_900_000_000) == [.duplicate])
        let row = try #require(try db.inboxRow(eventId: "evt_1"))
        #expect(row.payload == payload)
        #expect(row.status == .pending)
        #expect(row.stripeCreatedAt == "1970-01-01T00:01:40Z")
        #expect(row.receivedAt == Timestamp.iso(1_800_000_000))
        #expect(try db.count("inbox_events") == 1)
    }

    @Test("the group-commit writer stores concurrent submissions, each answered with its own outcome")
    func groupCommit() async throws {
        let db = try AppDatabase.makeEmpty()
        let writer = InboxWriter(database: db)
        let outcomes = try await withThrowingTaskGroup(of: InsertOutcome.self) { group in
            for i in 0..<300 {
                group.addTask {
                    let p = EventFactory.customer(event: "evt_\(i % 200)", created: 100, id: "cus_\(i)")
                    return try await writer.submit(NewInboxEvent(event: try StripeEvent.decode(Array(p.utf8)), payload: p))
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 == .stored }.count == 200)
        #expect(outcomes.filter { $0 == .duplicate }.count == 100)
        #expect(try db.count("inbox_events") == 200)
    }

    @Test("when the store refuses writes, every waiting submission fails and nothing is stored")
    func unavailable() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("attributiond-\(UUID())")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("a.sqlite").path
        _ = try AppDatabase.open(path: path)
        let readonly = try AppDatabase.open(path: path, readonly: true)
        let writer = InboxWriter(database: readonly)
        let p = EventFactory.customer(event: "evt_ro", created: 1, id: "cus_1")
        await #expect(throws: StoreError.self) {
            try await writer.submit(NewInboxEvent(event: try StripeEvent.decode(Array(p.utf8)), payload: p))
        }
        #expect(try AppDatabase.open(path: path).count("inbox_events") == 0)
    }
}
