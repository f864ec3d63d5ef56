import AttributionCore
import Foundation
import GRDB

extension AppDatabase {
    /// Stores `events` in one transaction; each is `stored` or, if its id is
    /// already in the inbox, a `duplicate` that changes nothing. Returns only
    /// after the commit (fsync'd under `synchronous=FULL`).
    public func insert(_ events: [NewInboxEvent], receivedAt: Int64) async throws(StoreError) -> [InsertOutcome] {
        do {
            return try await writer.write { db in try Self.insert(events, receivedAt: receivedAt, in: db) }
        } catch {
            throw StoreError.wrap(error, "store events in the inbox")
        }
    }

    /// The intake's one statement: every stored webhook runs it inside the commit it waits for.
    static let insertSQL = """
        INSERT INTO inbox_events
            (event_id, type, livemode, api_version, stripe_created_at, received_at, payload, origin)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (event_id) DO NOTHING
        """

    static func insert(_ events: [NewInboxEvent], receivedAt: Int64, in db: Database) throws -> [InsertOutcome] {
        let statement = try db.cachedStatement(sql: insertSQL)
        let received = Timestamp.iso(receivedAt)
        return try events.map { e in
            try statement.execute(arguments: [
                e.eventId, e.type, e.livemode, e.apiVersion, Timestamp.iso(e.stripeCreated), received, e.payload,
                e.origin.rawValue,
            ])
            return db.changesCount == 1 ? .stored : .duplicate
        }
    }

    /// The inbox rows, newest first, optionally of one status and one origin.
    public func inboxRows(status: InboxStatus? = nil, origin: InboxOrigin? = nil, limit: Int = 100) throws -> [InboxRow] {
        try writer.read { db in
            var sql = "SELECT * FROM inbox_events WHERE 1"
            var args: StatementArguments = []
            // The repeated terms name a partial index's condition, so SQLite may use it (0017).
            if let status {
                sql += " AND status = ?" + (Self.statusIndexTerm[status] ?? "")
                args += [status.rawValue]
            }
            if let origin {
                sql += " AND origin = ?" + (origin == .webhook ? "" : " AND origin <> 'webhook'")
                args += [origin.rawValue]
            }
            sql += " ORDER BY seq DESC LIMIT ?"
            args += [limit]
            return try Row.fetchAll(db, sql: sql, arguments: args).map { Self.inboxRow($0, withPayload: false) }
        }
    }

    /// The condition of the partial index that holds each status; applied has
    /// none (most rows are applied, so a scan from the newest finds them at once).
    static let statusIndexTerm: [InboxStatus: String] = [
        .pending: " AND status IN ('pending', 'failed')", .failed: " AND status IN ('pending', 'failed')",
        .ignored: " AND status NOT IN ('pending', 'applied')", .dead: " AND status NOT IN ('pending', 'applied')",
    ]

    /// One inbox row with its payload, or `nil`.
    public func inboxRow(eventId: String) throws -> InboxRow? {
        try writer.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM inbox_events WHERE event_id = ?", arguments: [eventId])
                .map { Self.inboxRow($0, withPayload: true) }
        }
    }

    static func inboxRow(_ row: Row, withPayload: Bool) -> InboxRow {
        InboxRow(
            eventId: row["event_id"], type: row["type"], livemode: row["livemode"],
            apiVersion: row["api_version"], stripeCreatedAt: row["stripe_created_at"],
            receivedAt: row["received_at"], status: InboxStatus(rawValue: row["status"]) ?? .pending,
            origin: InboxOrigin(rawValue: row["origin"]) ?? .webhook,
            attempts: row["attempts"], lastError: row["last_error"], nextAttemptAt: row["next_attempt_at"],
            appliedAt: row["applied_at"], payload: withPayload ? row["payload"] : nil
        )
    }

    /// Makes a failed or dead event pending again; returns how many rows changed.
    @discardableResult
    public func retry(eventId: String) throws -> Int {
        try writer.write { db in
            try db.execute(
                sql: """
                    UPDATE inbox_events SET status = 'pending', attempts = 0, next_attempt_at = NULL
                    WHERE event_id = ? AND status IN ('failed', 'dead')
                    """, arguments: [eventId])
            return db.changesCount
        }
    }

    /// Makes every dead event pending again; returns how many.
    @discardableResult
    public func retryDead() throws -> Int {
        try writer.write { db in
            try db.execute(
                sql: """
                    UPDATE inbox_events SET status = 'pending', attempts = 0, next_attempt_at = NULL
                    WHERE status = 'dead'
                    """)
            return db.changesCount
        }
    }
}

extension AppDatabase {
    /// How many events the inbox holds.
    public func inboxCount() throws -> Int {
        try writer.read { db in try Self.inboxCount(db) }
    }
}
