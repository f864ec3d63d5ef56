import AttributionCore
import Foundation
import GRDB

extension AppDatabase {
    /// Re-derives every derived table from the inbox alone, without holding the
    /// writer for longer than one short swap at the end.
    ///
    /// The derived tables depend only on the set of events applied (the
    /// projector is order-independent), so a rebuild replays exactly the events
    /// whose status is `applied`, oldest first, and changes no inbox status:
    /// a `dead` event stays dead, a `failed` one stays for the worker's retry,
    /// a `pending` one for its first try, just as incremental application left them.
    /// `ignored` events are not replayed: the projector ignores an event by its
    /// kind alone, so replaying one would change nothing.
    ///
    /// On a database file the tables are built in a throwaway shadow database
    /// beside it (same migrations, no durability), reading the inbox in short
    /// read transactions of the live database, so webhooks and the worker carry
    /// on meanwhile. The events the worker applies during the build are caught
    /// up outside the lock, and the last few inside one short write
    /// transaction that also replaces every derived table with the shadow's.
    /// An in-memory database (tests) is rebuilt in one transaction.
    ///
    /// If an applied event fails to apply, nothing is swapped and the error names it.
    /// The result lists the replayed events (`applied`; `failed` is always empty).
    @discardableResult
    public func rebuild(settings: ApplySettings, now: Int64) throws(StoreError) -> BatchResult {
        do {
            if path == ":memory:" || path.isEmpty {
                return try writer.write { db in
                    try db.execute(sql: "INSERT OR IGNORE INTO ledger_pause VALUES (1)")
                    for table in Self.derivedTables { try db.execute(sql: "DELETE FROM \(table)") }
                    try db.execute(sql: "DELETE FROM ledger_pause")
                    var result = BatchResult()
                    var after: Int64 = -1
                    let statements = Statements(memoizing: db)
                    var unsettled = Set<Int64>()
                    while let last = try Self.replayPage(
                        from: db, after: after, into: statements, settings: settings,
                        result: &result, unsettled: &unsettled)
                    {
                        after = last
                    }
                    return result
                }
            }
            return try rebuildThroughShadow(settings: settings)
        } catch {
            throw StoreError.wrap(error, "rebuild the derived tables")
        }
    }

    /// Rows read per page: each page is one short read of the live database.
    private static let rebuildPage = 2_000

    /// Replays one page of applied events after `seq` from `source` into
    /// `target`; returns the page's last seq, or nil when there are no more.
    /// Seqs not applied yet go into `unsettled`: the worker may apply them
    /// while the rebuild runs, and they are caught up before the swap.
    private static func replayPage(
        from source: Database, after seq: Int64, into target: Statements,
        settings: ApplySettings, result: inout BatchResult,
        unsettled: inout Set<Int64>
    ) throws -> Int64? {
        let rows = try source.all(
            """
            SELECT seq, event_id, type, payload, status FROM inbox_events WHERE seq > ? ORDER BY seq LIMIT ?
            """, seq, rebuildPage, as: ReplayRow.init)
        guard let last = rows.last else { return nil }
        for row in rows {
            if row.status == InboxStatus.applied.rawValue {
                try replay(row, into: target, settings: settings, result: &result)
            } else if row.status != InboxStatus.ignored.rawValue {
                unsettled.insert(row.seq)
            }
        }
        return last.seq
    }

    /// Applies one applied event to the tables being built, with no status change.
    private static func replay(
        _ row: ReplayRow, into target: Statements, settings: ApplySettings,
        result: inout BatchResult
    ) throws {
        do {
            var projector = Projector(db: target, settings: settings)
            _ = try projector.apply(try EventSnapshot(payload: row.payload))
        } catch {
            throw StoreError.failed("cannot replay \(row.eventId) (\(row.type)): \(error); nothing was changed")
        }
        result.applied.append(row.eventId)
        result.outcomes.append((row.eventId, row.type, .applied))
    }

    private func rebuildThroughShadow(settings: ApplySettings) throws -> BatchResult {
        let shadowPath = path + ".rebuild"
        let removeShadow = {
            for suffix in ["", "-journal", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: shadowPath + suffix) }
        }
        removeShadow()
        defer { removeShadow() }
        var result = BatchResult()
        var unsettled = Set<Int64>()
        var highest: Int64 = -1
        do {
            // A throwaway: if the process dies, the next rebuild deletes it and starts again.
            var config = Configuration()
            config.prepareDatabase { db in
                try db.execute(sql: "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA temp_store = MEMORY")
            }
            let shadow = AppDatabase(writer: try DatabaseQueue(path: shadowPath, configuration: config), path: shadowPath)
            _ = try shadow.migrate()
            // Build: one short read of the live inbox and one shadow transaction per page.
            while true {
                let last = try shadow.writer.write { target in
                    try writer.read { source in
                        try Self.replayPage(
                            from: source, after: highest, into: Statements(memoizing: target),
                            settings: settings, result: &result, unsettled: &unsettled)
                    }
                }
                guard let last else { break }
                highest = last
            }
            // Catch up outside the lock on what the worker applied meanwhile, until little is left.
            for _ in 0..<5 {
                let caught = try shadow.writer.write { target in
                    try writer.read { source in
                        try Self.catchUp(
                            from: source, into: Statements(memoizing: target), settings: settings,
                            unsettled: &unsettled, highest: &highest, result: &result)
                    }
                }
                if caught < 100 { break }
            }
            try shadow.writer.close()
        }
        // Swap: the last events the worker applied, then every derived table, in one short transaction.
        try writer.writeWithoutTransaction { db in
            try db.execute(sql: "ATTACH DATABASE ? AS rebuild", arguments: [shadowPath])
            defer { try? db.execute(sql: "DETACH DATABASE rebuild") }
            try db.inTransaction(.immediate) {
                // The copied rows come with their commissions: the ledger's triggers are paused meanwhile.
                try db.execute(sql: "INSERT OR IGNORE INTO main.ledger_pause VALUES (1)")
                for table in Self.derivedTables {
                    try db.execute(sql: "DELETE FROM main.\(table)")
                    try db.execute(sql: "INSERT INTO main.\(table) SELECT * FROM rebuild.\(table)")
                }
                try db.execute(sql: "DELETE FROM main.ledger_pause")
                // The live tables now hold the shadow's state: what the worker applied since
                // the last catch-up is applied to them directly.
                _ = try Self.catchUp(
                    from: db, into: Statements(memoizing: db), settings: settings,
                    unsettled: &unsettled, highest: &highest, result: &result)
                return .commit
            }
        }
        return result
    }

    /// Replays the events that became applied since they were read (among
    /// `unsettled`) and those that arrived after `highest`; returns how many.
    private static func catchUp(
        from source: Database, into target: Statements, settings: ApplySettings,
        unsettled: inout Set<Int64>, highest: inout Int64,
        result: inout BatchResult
    ) throws -> Int {
        let before = result.applied.count
        let waiting = unsettled.sorted()
        for start in stride(from: 0, to: waiting.count, by: 500) {
            let chunk = waiting[start..<min(start + 500, waiting.count)]
            let rows = try source.all(
                """
                SELECT seq, event_id, type, payload, status FROM inbox_events
                WHERE seq IN (\(chunk.map { String($0) }.joined(separator: ","))) AND status IN ('applied', 'ignored')
                ORDER BY seq
                """, as: ReplayRow.init)
            for row in rows {
                unsettled.remove(row.seq)
                if row.status == InboxStatus.applied.rawValue {
                    try replay(row, into: target, settings: settings, result: &result)
                }
            }
        }
        var newUnsettled = unsettled
        while let last = try replayPage(
            from: source, after: highest, into: target, settings: settings,
            result: &result, unsettled: &newUnsettled)
        {
            highest = last
        }
        unsettled = newUnsettled
        return result.applied.count - before
    }

    /// An inbox row as the rebuild reads it.
    struct ReplayRow {
        var seq: Int64, eventId: String, type: String, payload: String, status: String

        init(_ c: Columns) throws {
            (seq, eventId, type, payload, status) = try (c[0], c[1], c[2], c[3], c[4])
        }
    }
}
