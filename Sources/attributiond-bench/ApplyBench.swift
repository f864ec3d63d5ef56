import AttributionCore
import AttributionStore
import AttributionTestSupport
import Foundation
import GRDB

/// (2) Apply: the worker's rate on a backlog of events, next to a raw batched
/// SQLite upsert of the same rows (prepared statement, same batch size, no parsing).
struct ApplyBench {
    let events: Int
    let batch = 200

    func run(into table: inout ResultTable) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("attributiond-bench-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        print("apply: building a backlog of \(events) events…")
        let payloads = Self.backlog(count: events)
        let db = try AppDatabase.open(path: dir.appendingPathComponent("apply.sqlite").path)
        for start in stride(from: 0, to: payloads.count, by: 5000) {
            try await db.deliver(Array(payloads[start..<min(start + 5000, payloads.count)]))
        }
        print("apply: worker…")
        let clock = ContinuousClock()
        let applyTime = try await clock.measure {
            while try await db.applyDue(limit: batch, settings: ApplySettings(), now: 1_900_000_000).processed > 0 {}
        }
        let applied = try db.inboxRows(status: .applied, limit: 1).count
        guard applied > 0 else { throw BenchError("nothing applied") }

        print("apply: raw batched upsert baseline…")
        let raw = try AppDatabase.open(path: dir.appendingPathComponent("raw.sqlite").path)
        let rows = payloads.map { Self.row(of: $0) }
        let rawTime = try await clock.measure { try await Self.rawUpsert(rows, batch: batch, into: raw) }

        let applyRate = Double(events) / applyTime.seconds
        let rawRate = Double(events) / rawTime.seconds
        table.add("apply events/s (backlog \(events), \(batch) per transaction)", format(applyRate),
                  baseline: format(rawRate), ratio: format(applyRate / rawRate, 2), target: "≥ 0.5")
        table.add("apply time for 10,000 events ms", format(10_000 / applyRate * 1000))
    }

    /// Customers with keys and partners, paid charges (some refunded), subscriptions.
    static func backlog(count: Int) -> [String] {
        var out: [String] = []
        out.reserveCapacity(count)
        var c = 0
        while out.count < count {
            let t = 1_700_000_000 + c
            out.append(EventFactory.customer(event: "evt_c\(c)", created: t, id: "cus_\(c)", key: "c\(c)@x",
                                             partner: "p_\(c % 50)", email: "c\(c)@x"))
            out.append(EventFactory.charge(event: "evt_ch\(c)a", created: t + 1, id: "ch_\(c)a", amount: 1000 + c % 500,
                                           customer: "cus_\(c)", product: "pro"))
            out.append(EventFactory.charge(event: "evt_ch\(c)b", created: t + 2, id: "ch_\(c)b", amount: 2500,
                                           customer: "cus_\(c)", product: "basic"))
            out.append(EventFactory.charge(event: "evt_ch\(c)r", type: "charge.refunded", created: t + 3, id: "ch_\(c)b",
                                           amount: 2500, refunded: 500, customer: "cus_\(c)", product: "basic"))
            out.append(EventFactory.subscription(event: "evt_s\(c)", created: t, id: "sub_\(c)", customer: "cus_\(c)"))
            c += 1
        }
        return Array(out.prefix(count))
    }

    /// The row an event produces, reduced to its id and values (parsed outside the timing).
    static func row(of payload: String) -> (String, String, Int64, String) {
        let event = try! StripeEvent.decode(Array(payload.utf8))
        return (event.object["id"]?.string ?? event.id, event.type, event.object["amount"]?.int ?? 0,
                event.object["customer"]?.string ?? "")
    }

    static func rawUpsert(_ rows: [(String, String, Int64, String)], batch: Int, into db: AppDatabase) async throws {
        try await db.writer.write { db in
            try db.execute(sql: "CREATE TABLE raw_rows (id TEXT PRIMARY KEY, kind TEXT, amount INTEGER, customer TEXT) STRICT")
        }
        for start in stride(from: 0, to: rows.count, by: batch) {
            try await db.writer.write { db in
                let statement = try db.cachedStatement(sql: """
                    INSERT INTO raw_rows (id, kind, amount, customer) VALUES (?, ?, ?, ?)
                    ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, amount = excluded.amount, customer = excluded.customer
                    """)
                for r in rows[start..<min(start + batch, rows.count)] {
                    try statement.execute(arguments: [r.0, r.1, r.2, r.3])
                }
            }
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
