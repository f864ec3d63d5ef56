import GRDB
import Testing

@testable import AttributionStore

/// The worker's statement runner: values bound in order, rows read by position,
/// and a memo of prepared statements that never mixes up two SQL texts.
@Suite("Statements")
struct StatementsTests {
    let db = try! AppDatabase.makeEmpty()

    @Test("values bind in order, NULLs included, and rows read back by position")
    func bindAndRead() throws {
        try db.writer.write { db in
            let statements = Statements(memoizing: db)
            try statements.run("CREATE TEMP TABLE t (a TEXT, b INTEGER, c TEXT)")
            try statements.run("INSERT INTO t VALUES (?, ?, ?)", "x", Int64(7), String?.none)
            try statements.run("INSERT INTO t VALUES (?, ?, ?)", "y", 8, "z")
            let rows = try statements.all("SELECT a, b, c FROM t ORDER BY a") {
                (try $0[0] as String, try $0[1] as Int64, try $0[2] as String?)
            }
            #expect(rows.map(\.0) == ["x", "y"] && rows.map(\.1) == [7, 8] && rows.map(\.2) == [nil, "z"])
            #expect(try statements.one("SELECT a FROM t WHERE b = ?", 9) { try $0[0] as String } == nil)
            #expect(try statements.exists("SELECT 1 FROM t WHERE a = ?", "y"))
        }
    }

    @Test("a wrong number of values, a NULL in a non-optional read and an SQL error throw DatabaseError")
    func errors() throws {
        try db.writer.write { db in
            let statements = Statements(memoizing: db)
            #expect(throws: DatabaseError.self) { try statements.run("SELECT ?, ?", 1) }
            #expect(throws: DatabaseError.self) { try statements.one("SELECT NULL") { try $0[0] as String } }
            #expect(throws: DatabaseError.self) { try statements.run("INSERT INTO no_such_table VALUES (1)") }
        }
    }

    @Test("SQL texts built at run time each get their own statement, short ones (stored inline, no address) included")
    func memoNeverMixesTexts() throws {
        try db.writer.write { db in
            let statements = Statements(memoizing: db)
            for i in 0..<2_000 {
                let sql = i.isMultiple(of: 2) ? "SELECT \(i)+?" : "SELECT \(i) + ? -- a text long enough to live on the heap"
                let value = try statements.one(sql, 1) { try $0[0] as Int }
                #expect(value == i + 1)
            }
        }
    }
}
