import AttributionCore
import AttributionStore
import AttributionTestSupport
import Foundation
import GRDB
import GRDBSQLite

/// (2) Apply: the worker's rate on a backlog of events, next to a raw batched
/// SQLite upsert of the same rows.
///
/// "The same rows" are what a user sees the worker write for each event: the
/// public row it names (`customers` and its `partners` row, `transactions`,
/// `subscriptions`, with every column and index of the real schema) and the
/// event's inbox status. The baseline writes exactly the rows the worker
/// produced, read back from the worker's database beforehand, with prepared
/// statements bound and stepped through SQLite's C API (as the worker's are),
/// the same batch size and nothing else: no reading, no parsing, no fact
/// tables, no savepoints. A second, thinner baseline (one four-column
/// row per event into a table without indexes) is printed for reference.
struct ApplyBench {
    let events: Int
    /// Worker and baseline each run this many times, in pairs, each pair on fresh databases.
    var rounds = 3
    let batch = 200

    func run(into table: inout ResultTable) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("attributiond-bench-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        print("apply: building a backlog of \(events) events…")
        let payloads = Self.backlog(count: events)
        var writes: [[Write]] = []
        var pairs: [(apply: Double, raw: Double)] = []
        // The shared machine drifts by more than a third between two runs of one
        // binary: each round measures the worker and its baseline back to back,
        // and the row reports the median of the rounds' ratios.
        for round in 1...rounds {
            let db = try AppDatabase.open(path: dir.appendingPathComponent("apply-\(round).sqlite").path)
            let raw = try AppDatabase.open(path: dir.appendingPathComponent("raw-\(round).sqlite").path)
            for start in stride(from: 0, to: payloads.count, by: 5000) {
                let slice = Array(payloads[start..<min(start + 5000, payloads.count)])
                try await db.deliver(slice)
                try await raw.deliver(slice)
            }
            // The order alternates (the baseline first in even rounds), as ingest's does:
            // whichever runs second inherits what the first left the disk to write.
            let early = round % 2 == 0 && !writes.isEmpty ? try await timeRaw(writes, into: raw, round: round) : nil
            let applyTime = try await timeWorker(on: db, round: round)
            if writes.isEmpty { writes = try Self.rowsWritten(for: payloads, by: db) }
            let rawTime = if let early { early } else { try await timeRaw(writes, into: raw, round: round) }
            pairs.append((Double(events) / applyTime.seconds, Double(events) / rawTime.seconds))
            print("apply: round \(round): \(format(pairs.last!.apply)) against \(format(pairs.last!.raw)) events/s")
            try? FileManager.default.removeItem(atPath: db.path)
            try? FileManager.default.removeItem(atPath: raw.path)
        }
        let thin = try AppDatabase.open(path: dir.appendingPathComponent("thin.sqlite").path)
        let thinRows = payloads.map { Self.thinRow(of: $0) }
        let thinTime = try await ContinuousClock().measure { try await Self.thinUpsert(thinRows, batch: batch, into: thin) }

        let applyRate = median(pairs.map(\.apply))
        let rawRate = median(pairs.map(\.raw))
        let thinRate = Double(events) / thinTime.seconds
        table.add(
            "apply events/s (backlog \(events), \(batch) per transaction; median of \(rounds) rounds)", format(applyRate),
            baseline: format(rawRate), ratio: format(median(pairs.map { $0.apply / $0.raw }), 2), target: "≥ 0.5")
        table.add(
            "apply vs one 4-column row per event, no indexes", format(applyRate),
            baseline: format(thinRate), ratio: format(applyRate / thinRate, 2))
        table.add("apply time for 10,000 events ms", format(10_000 / applyRate * 1000))
    }

    private func timeWorker(on db: AppDatabase, round: Int) async throws -> Duration {
        print("apply: round \(round) of \(rounds): worker…")
        sync()  // the delivery's pages are written now, not during the measured drain
        let time = try await ContinuousClock().measure {
            try await db.drainDue(batchSize: batch, settings: ApplySettings(), retry: RetryPolicy(), now: { 1_900_000_000 })
        }
        guard try db.inboxRows(status: .applied, limit: 1).count > 0 else { throw BenchError("nothing applied") }
        return time
    }

    private func timeRaw(_ writes: [[Write]], into raw: AppDatabase, round: Int) async throws -> Duration {
        print("apply: round \(round) of \(rounds): raw batched upsert of the same rows…")
        sync()
        let time = try await ContinuousClock().measure { try await Self.rawUpsert(writes, batch: batch, into: raw) }
        guard try raw.inboxRows(status: .pending, limit: 1).isEmpty, try raw.inboxRows(status: .applied, limit: 1).count == 1
        else { throw BenchError("the baseline did not write every inbox status") }
        return time
    }

    /// Customers with keys and partners, paid charges (some refunded), subscriptions.
    static func backlog(count: Int) -> [String] {
        var out: [String] = []
        out.reserveCapacity(count)
        var c = 0
        while out.count < count {
            let t = 1_700_000_000 + c
            out.append(
                EventFactory.customer(
                    event: "evt_c\(c)", created: t, id: "cus_\(c)", key: "c\(c)@x",
                    partner: "p_\(c % 50)", email: "c\(c)@x"))
            out.append(
                EventFactory.charge(
                    event: "evt_ch\(c)a", created: t + 1, id: "ch_\(c)a", amount: 1000 + c % 500,
                    customer: "cus_\(c)", product: "pro"))
            out.append(
                EventFactory.charge(
                    event: "evt_ch\(c)b", created: t + 2, id: "ch_\(c)b", amount: 2500,
                    customer: "cus_\(c)", product: "basic"))
            out.append(
                EventFactory.charge(
                    event: "evt_ch\(c)r", type: "charge.refunded", created: t + 3, id: "ch_\(c)b",
                    amount: 2500, refunded: 500, customer: "cus_\(c)", product: "basic"))
            out.append(EventFactory.subscription(event: "evt_s\(c)", created: t, id: "sub_\(c)", customer: "cus_\(c)"))
            c += 1
        }
        return Array(out.prefix(count))
    }

    /// One row write: an upsert statement and its values.
    struct Write {
        var sql: String
        var values: [DatabaseValue]
    }

    /// For each event, in order: the final public rows it names, read from the
    /// worker's database, then its inbox status.
    static func rowsWritten(for payloads: [String], by db: AppDatabase) throws -> [[Write]] {
        try db.writer.read { d in
            try payloads.enumerated().map { index, payload in
                let event = try StripeEvent.decode(Array(payload.utf8))
                let id = event.object["id"]?.string ?? ""
                var writes: [Write] = []
                /// The row of `table` whose `column` is `key`, as an upsert on that column.
                func copy(_ table: String, where column: String, is key: String) throws {
                    guard let row = try Row.fetchOne(d, sql: "SELECT * FROM \(table) WHERE \(column) = ?", arguments: [key])
                    else { return }
                    let columns = row.columnNames.filter { $0 != "id" }
                    let sql =
                        "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))"
                        + " ON CONFLICT (\(column)) DO UPDATE SET "
                        + columns.map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
                    writes.append(Write(sql: sql, values: columns.map { row[$0] as DatabaseValue }))
                }
                switch event.type {
                case let t where t.hasPrefix("customer.subscription."):
                    try copy("subscriptions", where: "subscription_id", is: id)
                case let t where t.hasPrefix("customer."):
                    try copy("customers", where: "stripe_customer_id", is: id)
                    if let partner = event.object["metadata"]?["partner_key"]?.string {
                        try copy("partners", where: "partner_key", is: partner)
                    }
                default:
                    try copy("transactions", where: "transaction_id", is: id)
                }
                writes.append(
                    Write(
                        sql: "UPDATE inbox_events SET status = 'applied', applied_at = ? WHERE seq = ?",
                        values: [Timestamp.iso(1_900_000_000).databaseValue, (index + 1).databaseValue]))
                return writes
            }
        }
    }

    static func rawUpsert(_ events: [[Write]], batch: Int, into db: AppDatabase) async throws {
        for start in stride(from: 0, to: events.count, by: batch) {
            try await db.writer.write { db in
                for writes in events[start..<min(start + batch, events.count)] {
                    for write in writes { try execute(db.cachedStatement(sql: write.sql), write.values) }
                }
            }
        }
    }

    /// The thin reference row: an event's object id, type, amount and customer.
    static func thinRow(of payload: String) -> (String, String, Int64, String) {
        let event = try! StripeEvent.decode(Array(payload.utf8))
        return (
            event.object["id"]?.string ?? event.id, event.type, event.object["amount"]?.int ?? 0,
            event.object["customer"]?.string ?? ""
        )
    }

    static func thinUpsert(_ rows: [(String, String, Int64, String)], batch: Int, into db: AppDatabase) async throws {
        try await db.writer.write { db in
            try db.execute(sql: "CREATE TABLE raw_rows (id TEXT PRIMARY KEY, kind TEXT, amount INTEGER, customer TEXT) STRICT")
        }
        for start in stride(from: 0, to: rows.count, by: batch) {
            try await db.writer.write { db in
                let statement = try db.cachedStatement(
                    sql: """
                        INSERT INTO raw_rows (id, kind, amount, customer) VALUES (?, ?, ?, ?)
                        ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, amount = excluded.amount, customer = excluded.customer
                        """)
                for r in rows[start..<min(start + batch, rows.count)] {
                    try execute(statement, [r.0.databaseValue, r.1.databaseValue, r.2.databaseValue, r.3.databaseValue])
                }
            }
        }
    }

    /// Binds `values` and steps the statement through SQLite's C API: the
    /// cheapest way to run a prepared statement, and the way the worker runs its own.
    static func execute(_ statement: Statement, _ values: [DatabaseValue]) throws {
        let handle = statement.sqliteStatement
        sqlite3_reset(handle)
        for (index, value) in values.enumerated() {
            guard value.bind(to: handle, at: CInt(index + 1)) == SQLITE_OK else { throw BenchError("cannot bind") }
        }
        guard sqlite3_step(handle) == SQLITE_DONE else {
            throw BenchError("cannot write: \(String(cString: sqlite3_errmsg(sqlite3_db_handle(handle))))")
        }
        sqlite3_reset(handle)
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
