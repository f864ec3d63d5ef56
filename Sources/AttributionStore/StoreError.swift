import GRDB

/// Errors of the SQLite store, with messages of the form `cannot <do X>: <cause>`.
public enum StoreError: Error, CustomStringConvertible, Sendable {
    /// The database cannot take writes now (locked past the busy timeout, disk full,
    /// read-only, I/O error). Webhook deliveries answer 503 so Stripe retries.
    case unavailable(String)
    case failed(String)
    case notFound(String)

    public var description: String {
        switch self {
        case .unavailable(let m), .failed(let m), .notFound(let m): m
        }
    }

    /// Classifies an SQLite error raised while doing `action`.
    static func wrap(_ error: any Error, _ action: String) -> StoreError {
        if let e = error as? StoreError { return e }
        if let e = error as? DatabaseError {
            let message = "cannot \(action): \(e.message ?? "\(e.resultCode)")"
            switch e.resultCode {
            case .SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_FULL, .SQLITE_READONLY, .SQLITE_IOERR,
                .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_NOMEM, .SQLITE_PROTOCOL:
                return .unavailable(message)
            default:
                return .failed(message)
            }
        }
        return .failed("cannot \(action): \(error)")
    }
}
