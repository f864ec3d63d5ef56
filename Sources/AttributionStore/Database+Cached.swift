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
extension Database {
    /// Runs a write statement.
    func run<each V: StatementBinding>(_ sql: String, _ values: repeat each V) throws {
        let handle = try bound(sql, repeat each values)
        defer { sqlite3_reset(handle) }
        while try step(handle, sql) {}
    }

    /// The first row, read by `read`, or nil when there is none.
    func one<each V: StatementBinding, R>(_ sql: String, _ values: repeat each V,
                                          as read: (Columns) throws -> R) throws -> R? {
        let handle = try bound(sql, repeat each values)
        defer { sqlite3_reset(handle) }
        return try step(handle, sql) ? read(Columns(handle: handle)) : nil
    }

    /// Every row, each read by `read`.
    func all<each V: StatementBinding, R>(_ sql: String, _ values: repeat each V,
                                          as read: (Columns) throws -> R) throws -> [R] {
        let handle = try bound(sql, repeat each values)
        defer { sqlite3_reset(handle) }
        var rows: [R] = []
        while try step(handle, sql) { rows.append(try read(Columns(handle: handle))) }
        return rows
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
        let handle = try cachedStatement(sql: sql).sqliteStatement
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
            throw DatabaseError(resultCode: .SQLITE_MISUSE,
                                message: "expected \(sqlite3_bind_parameter_count(handle)) values, got \(index)", sql: sql)
        }
        return handle
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
        DatabaseError(resultCode: ResultCode(rawValue: code),
                      message: String(cString: sqlite3_errmsg(sqlite3_db_handle(handle))), sql: sql)
    }
}

/// The current row of a statement, read by column position.
struct Columns {
    let handle: SQLiteStatement

    /// The value at `index`; a NULL or unconvertible value in a non-optional column throws.
    subscript<T: StatementColumnConvertible>(_ index: CInt) -> T {
        get throws {
            guard let value = T.fromStatement(handle, atUncheckedIndex: index) else {
                throw DatabaseError(resultCode: .SQLITE_MISMATCH,
                                    message: "column \(index) is NULL or not a \(T.self)",
                                    sql: String(cString: sqlite3_sql(handle)))
            }
            return value
        }
    }
}
