import Foundation
import GRDB

/// What `backup` wrote.
public struct BackupResult: Sendable {
    public var path: String
    public var bytes: Int64
    public var inboxEvents: Int
    /// Set when the copy was verified: `integrity_check` answered ok.
    public var verified: Bool
}

extension AppDatabase {
    /// Copies the database to `destination` with SQLite's online backup, while
    /// other processes keep writing: the copy is the database as of one read
    /// snapshot. It is written to a temporary name beside `destination` (0600)
    /// and renamed into place, so a failure leaves nothing half-written. With
    /// `verify`, the copy is opened again, checked with `integrity_check`, and
    /// its inbox must hold between the events counted before and after the copy.
    public func backup(to destination: String, verify: Bool) throws(StoreError) -> BackupResult {
        let target = URL(fileURLWithPath: destination).standardizedFileURL
        let directory = target.deletingLastPathComponent().path
        func failure(_ cause: String) -> StoreError { .failed("cannot back up to \(destination): \(cause)") }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw failure("directory \(directory) does not exist")
        }
        let source = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        for suffix in ["", "-wal", "-shm", ".secret"] where Self.sameFile(target.path, source + suffix) {
            throw failure(suffix == "" ? "that is the database itself" : "that is the database's \(suffix) file")
        }
        if FileManager.default.fileExists(atPath: target.path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw failure("it is a directory")
        }
        let temporary = "\(directory)/.\(target.lastPathComponent).tmp-\(getpid())"
        func removeTemporary() { for s in ["", "-journal", "-wal", "-shm"] { unlink(temporary + s) } }
        removeTemporary()
        do {
            try OwnerOnlyFile.createIfAbsent(temporary)
            let before = try writer.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM inbox_events") ?? 0 }
            let copy = try DatabaseQueue(path: temporary)
            try writer.backup(to: copy)
            // The copy is a single file: rollback journal, so no -wal beside it.
            let counted = try copy.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA journal_mode = DELETE")
                return try Int.fetchOne(db, sql: "SELECT count(*) FROM inbox_events") ?? 0
            }
            try copy.close()
            if verify {
                let after = try writer.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM inbox_events") ?? 0 }
                var readonly = Configuration()
                readonly.readonly = true
                let check = try DatabaseQueue(path: temporary, configuration: readonly)
                let (result, inbox) = try check.read { db in
                    (
                        try String.fetchAll(db, sql: "PRAGMA integrity_check"),
                        try Int.fetchOne(db, sql: "SELECT count(*) FROM inbox_events") ?? 0
                    )
                }
                try check.close()
                guard result == ["ok"] else { throw failure("the copy fails integrity_check: \(result.prefix(3).joined(separator: "; "))") }
                guard inbox == counted, inbox >= min(before, after), inbox <= max(before, after) else {
                    throw failure("the copy holds \(inbox) inbox events; the database held \(before) before the copy and \(after) after")
                }
            }
            guard rename(temporary, target.path) == 0 else { throw failure(String(cString: strerror(errno))) }
            OwnerOnlyFile.syncDirectory(of: target.path)
            let size = (try? FileManager.default.attributesOfItem(atPath: target.path)[.size] as? Int64) ?? 0
            return BackupResult(path: target.path, bytes: size ?? 0, inboxEvents: counted, verified: verify)
        } catch {
            removeTemporary()
            if let e = error as? StoreError, e.description.hasPrefix("cannot back up") { throw e }
            if let e = error as? DatabaseError {
                throw e.resultCode == .SQLITE_FULL ? failure("the disk is full") : failure(e.message ?? "\(e.resultCode)")
            }
            throw failure("\(error)")
        }
    }

    /// True when both paths name the same existing file (same device and inode).
    static func sameFile(_ a: String, _ b: String) -> Bool {
        var sa = stat()
        var sb = stat()
        guard stat(a, &sa) == 0, stat(b, &sb) == 0 else { return false }
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
    }
}
