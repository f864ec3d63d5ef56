import ArgumentParser
import AttributionCore
import AttributionStore
import Foundation
import Synchronization

/// Times the intake's group commit alone (no HTTP), for finding where time goes.
struct Experiment: AsyncParsableCommand {
    func run() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("exp-\(UUID())")
        let db = try AppDatabase.open(path: dir.appendingPathComponent("x.sqlite").path)
        let commits = Atomic<Int>(0)
        let writer = InboxWriter(database: db, onCommit: { _ in commits.add(1, ordering: .relaxed) })
        let payload = String(repeating: "x", count: 2500)
        let start = ContinuousClock.now
        let total = 20000
        try await withThrowingTaskGroup(of: Void.self) { group in
            for c in 0..<64 {
                group.addTask {
                    for i in stride(from: c, to: total, by: 64) {
                        _ = try await writer.submit(NewInboxEvent(eventId: "e\(i)", type: "t", livemode: true, apiVersion: nil,
                                                                  stripeCreated: 1, payload: payload))
                    }
                }
            }
            try await group.waitForAll()
        }
        let s = (ContinuousClock.now - start).seconds
        print("group commit alone: \(Int(Double(total) / s)) /s, \(total / max(commits.load(ordering: .relaxed), 1)) per commit")
        let start2 = ContinuousClock.now
        for b in 0..<(total / 64) {
            let events = (0..<64).map { i in NewInboxEvent(eventId: "f\(b)_\(i)", type: "t", livemode: true, apiVersion: nil,
                                                           stripeCreated: 1, payload: payload) }
            _ = try await db.insert(events, receivedAt: 1)
        }
        print("sequential 64-row inserts: \(Int(Double(total) / (ContinuousClock.now - start2).seconds)) /s")
        let start3 = ContinuousClock.now
        for b in 0..<(total / 64) {
            let events = (0..<64).map { i in NewInboxEvent(eventId: "g\(b)_\(i)", type: "t", livemode: true, apiVersion: nil,
                                                           stripeCreated: 1, payload: payload) }
            try await db.writer.writeWithoutTransaction { db in
                try db.execute(sql: "BEGIN IMMEDIATE")
                let st = try db.cachedStatement(sql: "INSERT INTO inbox_events (event_id, type, livemode, api_version, stripe_created_at, received_at, payload) VALUES (?, ?, ?, ?, ?, ?, ?)")
                for e in events { try st.execute(arguments: [e.eventId, e.type, e.livemode, e.apiVersion, "x", "y", e.payload]) }
                try db.execute(sql: "COMMIT")
            }
        }
        print("sync raw 64-row inserts: \(Int(Double(total) / (ContinuousClock.now - start3).seconds)) /s")
    }
}
