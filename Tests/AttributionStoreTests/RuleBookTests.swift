import AttributionCore
import GRDB
import Testing

@testable import AttributionStore

/// The settle's in-memory rule lookup must pick exactly the rule SQLite's
/// query picks: the greatest (effective_from, recorded_at, event id) at or before the time.
@Suite("Rule book")
struct RuleBookTests {
    let db = try! AppDatabase.makeEmpty()

    /// Rules of three scopes, with ties on effective_from broken by recorded_at, then by event id, and an end.
    private func insertRules(_ db: Database) throws {
        let rows: [(String, String?, String?, Int64?, String, String)] = [
            ("r_a", nil, nil, 1000, "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"),
            ("r_b", nil, nil, 1500, "2026-03-01T00:00:00Z", "2026-02-01T00:00:00Z"),
            ("r_c", nil, nil, 1600, "2026-03-01T00:00:00Z", "2026-02-02T00:00:00Z"),
            ("r_e", nil, nil, 1700, "2026-05-01T00:00:00Z", "2026-02-02T00:00:00Z"),
            ("r_d", nil, nil, 1800, "2026-05-01T00:00:00Z", "2026-02-02T00:00:00Z"),
            ("r_p1", "p_acme", nil, 2000, "2026-02-15T00:00:00Z", "2026-01-01T00:00:00Z"),
            ("r_p2", "p_acme", nil, nil, "2026-04-01T00:00:00Z", "2026-01-01T00:00:00Z"),
            ("r_q", "p_acme", "pro", 3000, "1970-01-01T00:00:00Z", "2026-01-01T00:00:00Z"),
        ]
        for (id, partner, product, bps, from, recorded) in rows {
            try db.run(
                """
                INSERT INTO reward_rules (event_id, partner_key, product_key, percent_bps, ended, effective_from, recorded_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, id, partner, product, bps, bps == nil, from, recorded)
        }
    }

    @Test("for every scope and moment, the book answers what the SQL query answers")
    func agreesWithTheQuery() throws {
        try db.writer.write { db in
            try insertRules(db)
            let statements = Statements(db)
            var book = RuleBook(db: statements)
            let scopes: [(String?, String?)] = [(nil, nil), ("p_acme", nil), ("p_acme", "pro"), ("p_other", nil), (nil, "pro")]
            let moments = [
                "1969-12-31T23:59:59Z", "1970-01-01T00:00:00Z", "2025-12-31T23:59:59Z", "2026-01-01T00:00:00Z",
                "2026-02-15T00:00:00Z", "2026-02-28T23:59:59Z", "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z",
                "2026-04-30T00:00:00Z", "2026-05-01T00:00:00Z", "2027-01-01T00:00:00Z",
            ]
            var found = Set<String>()
            for (partner, product) in scopes {
                for at in moments {
                    let expected = try RuleInTime.inForce(partner: partner, product: product, at: at, in: statements)
                    let got = try book.inForce(partner: partner, product: product, at: at)
                    #expect(got?.eventId == expected?.eventId, "\(partner ?? "-") \(product ?? "-") at \(at)")
                    #expect(got?.reward == expected?.reward)
                    if let id = got?.eventId { found.insert(id) }
                }
            }
            // The ties were decided: the later recorded, then the greater event id.
            #expect(found.isSuperset(of: ["r_a", "r_c", "r_e", "r_p1", "r_p2", "r_q"]))
            #expect(!found.contains("r_b") && !found.contains("r_d"))
        }
    }

    @Test("an ended partner rule hands the decision to the default rule")
    func endedScopeFallsThrough() throws {
        try db.writer.write { db in
            try insertRules(db)
            var book = RuleBook(db: Statements(db))
            let april = Timestamp.parse("2026-04-15T00:00:00Z")!
            let march = Timestamp.parse("2026-03-15T00:00:00Z")!
            #expect(try book.deciding(partner: "p_acme", product: nil, currency: "usd", at: april)?.eventId == "r_c")
            #expect(try book.deciding(partner: "p_acme", product: nil, currency: "usd", at: march)?.eventId == "r_p1")
            #expect(try book.deciding(partner: "p_acme", product: "pro", currency: "usd", at: april)?.eventId == "r_q")
        }
    }
}
