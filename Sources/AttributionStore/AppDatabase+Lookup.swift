import GRDB

/// Tables of the public schema (docs/schema.md) that can be looked up by their key column.
public enum PublicTable: String, Sendable, CaseIterable {
    case inboxEvents = "inbox_events"
    case customers
    case transactions
    case subscriptions

    /// The column a row is looked up by; fixed here, so no caller text reaches the SQL.
    var keyColumn: String {
        switch self {
        case .inboxEvents: "event_id"
        case .customers: "stripe_customer_id"
        case .transactions: "transaction_id"
        case .subscriptions: "subscription_id"
        }
    }
}

extension AppDatabase {
    /// One row of a public table as column → text (`nil` for SQL NULL), or `nil`
    /// when absent. For checks that look at what a user would see with `sqlite3`,
    /// such as `send-test-events`.
    public func publicRow(_ table: PublicTable, key: String) throws -> [String: String?]? {
        try writer.read { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT * FROM \(table.rawValue) WHERE \(table.keyColumn) = ?", arguments: [key])
            else { return nil }
            var values: [String: String?] = [:]
            for (column, value) in row {
                switch value.storage {
                case .null: values[column] = .some(nil)
                case .int64(let i): values[column] = String(i)
                case .double(let d): values[column] = String(d)
                case .string(let s): values[column] = s
                case .blob(let b): values[column] = "<\(b.count) bytes>"
                }
            }
            return values
        }
    }
}

extension AppDatabase {
    /// The partner a transaction counts for (`attributed_transactions`), or nil when it is
    /// unattributed or not there.
    public func attributedPartner(ofTransaction id: String) throws -> String? {
        try writer.read { db in
            try String.fetchOne(
                db, sql: "SELECT partner_key FROM attributed_transactions WHERE transaction_id = ?",
                arguments: [id])
        }
    }
}
