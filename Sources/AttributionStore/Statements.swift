import GRDB
import GRDBSQLite

/// The worker's statements: GRDB's cached prepared statements, bound, stepped
/// and read through SQLite's C API.
///
/// Why not `Statement.execute(arguments:)` and `Row.fetchOne`: around each
/// SQLite call GRDB boxes the arguments into `StatementArguments`, notifies
/// its observation broker, and builds a column-name dictionary for every
/// fetched row. Profiled on the apply benchmark (about seven statements per
/// event), that was half of the writer's time; this path took the writer from
/// 36 to 27 µs per event. A lone four-value insert costs 1.7 µs through
/// `execute(arguments:)` and 1.0 µs this way.
///
/// GRDB documents its raw statement pointer for this use. Values still bind
/// and decode through GRDB's own `StatementBinding` and
/// `StatementColumnConvertible` conformances, and failures are GRDB's
/// `DatabaseError`, so callers handle errors as before. The values are a
/// parameter pack: no existential box per value. GRDB's transaction observers
/// do not see these statements; the store registers none.
struct Statements {
    let db: Database
    /// Prepared statements by the address of their SQL text, for one batch.
    private let memo: Memo?

    /// Statements found through GRDB's cache, which hashes the SQL text on every call.
    init(_ db: Database) {
        self.db = db
        memo = nil
    }

    /// Statements that find their prepared statement by the address of their
    /// SQL text. The worker's SQL is string literals and static constants, so
    /// the same text comes back at the same address; hashing it instead (up to
    /// 1,500 bytes for the upserts) on every call was 5 % of the writer's time.
    /// The memo keeps each text alive, so no other text can take its address;
    /// but a short text (15 bytes or fewer) lives inside the `String` itself
    /// and its address is a temporary copy's, so the text is compared too (in
    /// one step when both are the same storage). Keep one for a single write:
    /// its statements belong to `db`.
    init(memoizing db: Database) {
        self.db = db
        memo = Memo()
    }

    final class Memo {
        var statements: [UInt: (sql: String, statement: Statement)] = [:]
    }

    /// Runs a write statement; returns how many rows it changed.
    @discardableResult
    func run<each V: StatementBinding>(_ sql: String, _ values: repeat each V) throws -> Int {
        let handle = try bound(sql, repeat each values)
        defer { sqlite3_reset(handle) }
        while try step(handle, sql) {}
        return Int(sqlite3_changes(db.sqliteConnection))
    }

    /// The first row, read by `read`, or nil when there is none.
    func one<each V: StatementBinding, R>(
        _ sql: String, _ values: repeat each V,
        as read: (Columns) throws -> R
    ) throws -> R? {
        let handle = try bound(sql, repeat each values)
        defer { sqlite3_reset(handle) }
        return try step(handle, sql) ? read(Columns(handle: handle)) : nil
    }

    /// Every row, each read by `read`.
    func all<each V: StatementBinding, R>(
        _ sql: String, _ values: repeat each V,
        as read: (Columns) throws -> R
    ) throws -> [R] {
        let handle = try bound(sql, repeat each values)
        defer { sqlite3_reset(handle) }
        var rows: [R] = []
        while try step(handle, sql) { rows.append(try read(Columns(handle: handle))) }
        return rows
    }

    /// Every row of `statement`, bound by the caller (for SQL built at run
    /// time, whose values are `StatementArguments`), each handed to `body`.
    func forEach(_ statement: Statement, _ body: (Columns) throws -> Void) throws {
        let handle = statement.sqliteStatement
        let sql = statement.sql  // GRDB builds and trims this text on every call
        sqlite3_reset(handle)
        defer { sqlite3_reset(handle) }
        while try step(handle, sql) { try body(Columns(handle: handle)) }
    }

    /// The first column of every row, as text.
    func strings<each V: StatementBinding>(_ sql: String, _ values: repeat each V) throws -> [String] {
        try all(sql, repeat each values) { try $0[0] }
    }

    /// Whether the query returns a row.
    func exists<each V: StatementBinding>(_ sql: String, _ values: repeat each V) throws -> Bool {
        try one(sql, repeat each values) { _ in () } != nil
    }

    /// The cached statement for `sql`, reset, with `values` bound in order.
    private func bound<each V: StatementBinding>(_ sql: String, _ values: repeat each V) throws -> SQLiteStatement {
        let handle = try statement(sql).sqliteStatement
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        var index: CInt = 0
        for value in repeat each values {
            index += 1
            let code = value.bind(to: handle, at: index)
            guard code == SQLITE_OK else { throw failure(code, handle, sql) }
        }
        // The same check GRDB makes: a missing or extra value is a programming error worth a clear message.
        guard index == sqlite3_bind_parameter_count(handle) else {
            throw DatabaseError(
                resultCode: .SQLITE_MISUSE,
                message: "expected \(sqlite3_bind_parameter_count(handle)) values, got \(index)", sql: sql)
        }
        return handle
    }

    private func statement(_ sql: String) throws -> Statement {
        guard let memo, let address = sql.utf8.withContiguousStorageIfAvailable({ UInt(bitPattern: $0.baseAddress) })
        else { return try db.cachedStatement(sql: sql) }
        // Comparing a string with itself takes one look at its storage, not a pass over the text.
        if let known = memo.statements[address], known.sql == sql { return known.statement }
        let statement = try db.cachedStatement(sql: sql)
        memo.statements[address] = (sql, statement)
        return statement
    }

    /// Steps once: true for a row, false when done.
    private func step(_ handle: SQLiteStatement, _ sql: String) throws -> Bool {
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let code: throw failure(code, handle, sql)
        }
    }

    private func failure(_ code: CInt, _ handle: SQLiteStatement, _ sql: String) -> DatabaseError {
        DatabaseError(
            resultCode: ResultCode(rawValue: code),
            message: String(cString: sqlite3_errmsg(sqlite3_db_handle(handle))), sql: sql)
    }
}

/// The same statements on any connection, through GRDB's statement cache.
extension Database {
    @discardableResult
    func run<each V: StatementBinding>(_ sql: String, _ values: repeat each V) throws -> Int {
        try Statements(self).run(sql, repeat each values)
    }

    func one<each V: StatementBinding, R>(
        _ sql: String, _ values: repeat each V,
        as read: (Columns) throws -> R
    ) throws -> R? {
        try Statements(self).one(sql, repeat each values, as: read)
    }

    func all<each V: StatementBinding, R>(
        _ sql: String, _ values: repeat each V,
        as read: (Columns) throws -> R
    ) throws -> [R] {
        try Statements(self).all(sql, repeat each values, as: read)
    }
}

/// The current row of a statement, read by column position.
struct Columns {
    let handle: SQLiteStatement

    /// The value at `index`; a NULL or unconvertible value in a non-optional column throws.
    subscript<T: StatementColumnConvertible>(_ index: CInt) -> T {
        get throws {
            guard let value = T.fromStatement(handle, atUncheckedIndex: index) else {
                throw DatabaseError(
                    resultCode: .SQLITE_MISMATCH,
                    message: "column \(index) is NULL or not a \(T.self)",
                    sql: String(cString: sqlite3_sql(handle)))
            }
            return value
        }
    }

    /// The integer at `index`, NULL read as 0: for sums, where NULL adds nothing.
    /// Skips the NULL check of the subscript, which the report pays per transaction.
    func summand(_ index: CInt) -> Int64 { sqlite3_column_int64(handle, index) }
}
