import AttributionCore
import Foundation
import GRDB

/// A partner as `partners list` and `partners show` print it.
public struct PartnerRow: Sendable, Equatable, Codable {
    public var partnerKey: String
    public var name: String?
    public var email: String?
    public var createdAt: String
    /// How the partner first became known: `admin`, `signup` or `stripe`.
    public var source: String
    /// Customers ever attributed to the partner, in any mode, deleted ones too.
    public var customers: Int

    enum CodingKeys: String, CodingKey {
        case partnerKey = "partner_key", name, email, createdAt = "created_at", source, customers
    }
}

extension AppDatabase {
    /// Records an administrator's partner profile as a local event and applies it.
    /// A name or email left out keeps the value the partner already has, so
    /// `partners add KEY --email E` does not erase the name.
    @discardableResult
    public func recordPartner(
        key: String, name: String?, email: String?, promotionCodes: [String] = [],
        settings: ApplySettings, now: Int64
    ) async throws(StoreError) -> PartnerRow {
        guard !key.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw StoreError.failed("cannot add the partner: the partner key is empty")
        }
        let existing = try partner(key: key)
        let profile = LocalEvent.PartnerProfile(
            partnerKey: key, name: name ?? existing?.name,
            email: email ?? existing?.email, promotionCodes: promotionCodes)
        // Each call is a new event, and a later profile must replace an earlier one: profiles
        // of the same `now` are ordered by event id, so the id carries the wall clock in
        // nanoseconds (fixed width, so text order is time order), then a random tie-breaker.
        // The whole clock, not the fraction of its second: two calls on either side of a
        // second boundary would otherwise sort backwards (0.999… > 0.001…).
        var clock = timespec()
        clock_gettime(CLOCK_REALTIME, &clock)
        let nanos = String(Int64(clock.tv_sec) * 1_000_000_000 + Int64(clock.tv_nsec)).leftPadded(to: 19)
        let id = "partner_\(key)_\(now)_\(nanos)_\(UInt16.random(in: .min ... .max))"
        do {
            let json = try LocalEvent.envelope(id: id, type: LocalEvent.partnerType, created: now, object: profile)
            _ = try await recordAndApply(
                NewInboxEvent(event: try StripeEvent.decode(Array(json.utf8)), payload: json),
                settings: settings, now: now)
        } catch {
            throw StoreError.wrap(error, "add partner \(key)")
        }
        guard let row = try partner(key: key) else { throw StoreError.failed("cannot add partner \(key): not recorded") }
        return row
    }

    /// The promotion codes that are the partner's now (by metadata or mapping), and
    /// the code texts mapped to it that no promotion code seen so far has.
    public func promotionCodes(partner: String) throws(StoreError) -> (codes: [String], waiting: [String]) {
        do {
            return try writer.read { db in
                let codes = try String.fetchAll(
                    db,
                    sql: """
                        SELECT coalesce(code, promotion_code_id) FROM promotion_codes WHERE partner_key = ? ORDER BY 1
                        """, arguments: [partner])
                let waiting = try String.fetchAll(
                    db,
                    sql: """
                        SELECT m.code FROM fact_promotion_code_mappings AS m
                        WHERE m.partner_key = ? AND NOT EXISTS (SELECT 1 FROM fact_promotion_codes f WHERE f.code = m.code)
                        ORDER BY 1
                        """, arguments: [partner])
                return (codes, waiting)
            }
        } catch {
            throw StoreError.wrap(error, "read the promotion codes of partner \(partner)")
        }
    }

    /// Every known partner, by key.
    public func partners() throws(StoreError) -> [PartnerRow] {
        try readPartners(where: "1", [])
    }

    /// One partner, or nil.
    public func partner(key: String) throws(StoreError) -> PartnerRow? {
        try readPartners(where: "p.partner_key = ?", [key]).first
    }

    private func readPartners(where condition: String, _ arguments: StatementArguments) throws(StoreError) -> [PartnerRow] {
        do {
            return try writer.read { db in
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT p.*, (SELECT count(*) FROM customers c WHERE c.partner_key = p.partner_key) AS customers
                        FROM partners p WHERE \(condition) ORDER BY p.partner_key
                        """, arguments: arguments
                ).map { row in
                    PartnerRow(
                        partnerKey: row["partner_key"], name: row["name"], email: row["email"],
                        createdAt: row["created_at"], source: row["source"], customers: row["customers"])
                }
            }
        } catch {
            throw StoreError.wrap(error, "read partners")
        }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
