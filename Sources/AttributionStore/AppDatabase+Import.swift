import AttributionCore
import Foundation
import GRDB

extension NewInboxEvent {
    /// An imported event or object snapshot, as `import` or `backfill` stores it.
    public init(imported item: ImportedItem, origin: InboxOrigin) {
        self.init(envelope: item.event, payload: item.payload, origin: origin)
    }
}

/// Where an interrupted `backfill` stands: the run's parameters and the last page it stored.
public struct BackfillCursor: Sendable, Equatable, Codable {
    /// What the run reads (`--since`, `--api-base`): a run with others starts over.
    public var parameters: String
    /// The list endpoint being paged through, by its index in the run's order.
    public var endpoint: Int
    /// The last object id of the last page stored (`starting_after` of the next request); nil: the endpoint's start.
    public var startingAfter: String?

    public init(parameters: String, endpoint: Int, startingAfter: String?) {
        self.parameters = parameters
        self.endpoint = endpoint
        self.startingAfter = startingAfter
    }
}

extension AppDatabase {
    static let backfillCursorKey = "backfill_cursor"

    /// `insert`, for callers that read their input synchronously (`import`): one transaction, committed on return.
    public func insertNow(_ events: [NewInboxEvent], receivedAt: Int64) throws(StoreError) -> [InsertOutcome] {
        do {
            return try writer.write { db in try Self.insert(events, receivedAt: receivedAt, in: db) }
        } catch {
            throw StoreError.wrap(error, "store events in the inbox")
        }
    }

    /// Which of `eventIds` the inbox already holds (for `import --dry-run`'s count of duplicates).
    public func knownEventIds(_ eventIds: [String]) throws(StoreError) -> Set<String> {
        guard !eventIds.isEmpty else { return [] }
        do {
            return try writer.read { db in
                let marks = Array(repeating: "?", count: eventIds.count).joined(separator: ",")
                return Set(
                    try String.fetchAll(
                        db, sql: "SELECT event_id FROM inbox_events WHERE event_id IN (\(marks))",
                        arguments: StatementArguments(eventIds)))
            }
        } catch {
            throw StoreError.wrap(error, "read the inbox")
        }
    }

    /// The cursor of an interrupted backfill, or nil.
    public func backfillCursor() throws(StoreError) -> BackfillCursor? {
        do {
            guard let text = try setting(Self.backfillCursorKey) else { return nil }
            return try JSONDecoder().decode(BackfillCursor.self, from: Data(text.utf8))
        } catch {
            throw StoreError.wrap(error, "read the backfill cursor")
        }
    }

    /// Stores one backfill page and where the next one starts in one
    /// transaction, so a run killed at any point resumes after the last page
    /// stored, and stores nothing twice. A nil `cursor` ends the run.
    public func storeBackfillPage(
        _ events: [NewInboxEvent], cursor: BackfillCursor?,
        receivedAt: Int64
    ) async throws(StoreError) -> [InsertOutcome] {
        do {
            let text = try cursor.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
            return try await writer.write { db in
                let outcomes = try Self.insert(events, receivedAt: receivedAt, in: db)
                if let text {
                    try db.execute(
                        sql: """
                            INSERT INTO daemon_settings (key, value) VALUES (?, ?)
                            ON CONFLICT (key) DO UPDATE SET value = excluded.value
                            """, arguments: [Self.backfillCursorKey, text])
                } else {
                    try db.execute(sql: "DELETE FROM daemon_settings WHERE key = ?", arguments: [Self.backfillCursorKey])
                }
                return outcomes
            }
        } catch {
            throw StoreError.wrap(error, "store backfilled events in the inbox")
        }
    }
}
