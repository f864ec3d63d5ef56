import CSQLiteConfig
import Foundation
import GRDB
import GRDBSQLite
import Logging

/// The only door into the SQLite database: WAL mode, `synchronous=FULL`,
/// a busy timeout, foreign keys on, and the migrations applied.
///
/// `synchronous=FULL` makes every commit fsync the WAL, so an event that was
/// acknowledged survives a process crash and a power loss.
public struct AppDatabase: Sendable {
    public let writer: any DatabaseWriter
    public let path: String

    /// Opens (creating if needed) the database at `path` and migrates it.
    public static func open(path: String, busyTimeout: TimeInterval = 5, readonly: Bool = false) throws(StoreError) -> AppDatabase {
        _ = sqliteConfigured
        var config = Configuration()
        config.busyMode = .timeout(busyTimeout)
        config.readonly = readonly
        config.label = "attributiond"
        do {
            if !readonly {
                let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                try OwnerOnlyFile.createIfAbsent(path)
            }
            let pool = try DatabasePool(path: path, configuration: config)
            let db = AppDatabase(writer: pool, path: path)
            if !readonly {
                try db.configureWriter()
                try db.useIncrementalVacuumIfEmpty()
                try db.migrate()
            }
            return db
        } catch {
            // SQLite only says "unable to open database file"; name the usual cause.
            if !readonly, Self.isOnReadOnlyFileSystem(path) {
                throw StoreError.unavailable("cannot open database at \(path): the file system is read-only")
            }
            throw StoreError.wrap(error, "open database at \(path)")
        }
    }

    private static func isOnReadOnlyFileSystem(_ path: String) -> Bool {
        var info = statvfs()
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return statvfs(dir, &info) == 0 && info.f_flag & UInt(ST_RDONLY) != 0
    }

    /// SQLite's memory statistics are off for the whole process, set once
    /// before the first connection opens (true if it took effect).
    ///
    /// Debian's SQLite is built without lookaside memory, so every small
    /// allocation (several per statement run) goes to `malloc`, and with
    /// statistics on each one also locks and unlocks one process-wide mutex,
    /// shared by the writer and the threads that read. Profiled on the apply
    /// benchmark (`perf`, the writer thread's samples): that mutex was 5.4 %
    /// of them. Nothing here reads the statistics (no soft heap limit). The
    /// benchmark's reference intake sets the same, so the two intakes run the same SQLite.
    public static let sqliteConfigured: Bool = attributiond_sqlite_disable_memory_statistics() == SQLITE_OK

    /// An empty in-memory database for tests.
    public static func makeEmpty() throws -> AppDatabase {
        _ = sqliteConfigured
        let db = AppDatabase(writer: try DatabaseQueue(), path: ":memory:")
        try db.migrate()
        return db
    }

    init(writer: any DatabaseWriter, path: String) {
        self.writer = writer
        self.path = path
    }

    /// GRDB's pool sets `synchronous=NORMAL` on its writer after `prepareDatabase`;
    /// set FULL afterwards and read it back, since durability rests on it.
    ///
    /// The writer also keeps its temporary files in memory. The worker wraps
    /// each event in a savepoint, and SQLite saves every page a savepoint
    /// changes in a sub-journal that it moves to a temporary file past 64 KiB:
    /// on disk that cost a third of the apply rate (14.4k events/s against 20.9k
    /// in memory). The sub-journal only ever holds one event's pages.
    private func configureWriter() throws {
        try writer.barrierWriteWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            let mode = try Int.fetchOne(db, sql: "PRAGMA synchronous")
            guard mode == 2 else { throw StoreError.failed("cannot set synchronous=FULL: SQLite reports \(mode ?? -1)") }
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
        }
    }

    /// A database without tables yet is switched to `auto_vacuum=INCREMENTAL`,
    /// so `events prune` can hand the pages it frees back to the file system
    /// a few at a time. The mode can only change by rewriting the file (VACUUM),
    /// which is instant while the file is empty; an existing database keeps its
    /// mode and reuses freed pages for new events instead.
    private func useIncrementalVacuumIfEmpty() throws {
        try writer.barrierWriteWithoutTransaction { db in
            let tables = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") ?? 0
            guard tables == 0, try Int.fetchOne(db, sql: "PRAGMA auto_vacuum") == 0 else { return }
            try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL")
            try db.execute(sql: "VACUUM")
        }
    }

    /// PRAGMA values that the README promises, for `status` and tests.
    public func pragmas() throws -> [String: String] {
        try writer.barrierWriteWithoutTransaction { db in
            var out: [String: String] = [:]
            for name in ["journal_mode", "synchronous", "temp_store", "foreign_keys", "busy_timeout", "user_version"] {
                out[name] = try String.fetchOne(db, sql: "PRAGMA \(name)")
            }
            return out
        }
    }
}
