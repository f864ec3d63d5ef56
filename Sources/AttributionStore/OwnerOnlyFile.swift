import Foundation

/// Files readable by their owner alone (mode 0600), whatever the umask: the
/// database, and the generated webhook secret kept beside it.
public enum OwnerOnlyFile {
    /// Where the daemon keeps a secret it generated: `<database>.secret`.
    public static func secretPath(forDatabase path: String) -> String { path + ".secret" }

    /// Creates an empty file at `path` with mode 0600 unless one exists.
    /// SQLite gives the `-wal` and `-shm` files it creates the mode of the
    /// database file, so creating the database this way covers them too.
    static func createIfAbsent(_ path: String) throws(StoreError) {
        let fd = Foundation.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd < 0 {
            if errno == EEXIST { return }
            throw StoreError.failed("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        // The umask applies to open(2)'s mode, not to fchmod(2).
        guard fchmod(fd, 0o600) == 0 else {
            throw StoreError.failed("cannot set the mode of \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Writes `text` to a new file at `path` (0600), through a temporary name
    /// beside it, so a crash leaves either no file or the whole one. Returns
    /// false, writing nothing, when `path` already exists.
    @discardableResult
    public static func writeNew(_ text: String, to path: String) throws(StoreError) -> Bool {
        let temporary = "\(path).tmp-\(getpid())"
        unlink(temporary)
        let fd = Foundation.open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StoreError.failed("cannot create \(temporary): \(String(cString: strerror(errno)))") }
        var failure: String?
        let bytes = Array(text.utf8)
        if fchmod(fd, 0o600) != 0 { failure = "cannot set the mode of \(temporary)" }
        if failure == nil, bytes.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) != bytes.count {
            failure = "cannot write \(temporary)"
        }
        if failure == nil, fsync(fd) != 0 { failure = "cannot sync \(temporary)" }
        let cause = String(cString: strerror(errno))
        close(fd)
        if let failure {
            unlink(temporary)
            throw StoreError.failed("\(failure): \(cause)")
        }
        // link(2) refuses an existing name, so two first starts cannot overwrite each other.
        let linked = link(temporary, path)
        let linkError = errno
        unlink(temporary)
        if linked != 0 {
            if linkError == EEXIST { return false }
            throw StoreError.failed("cannot create \(path): \(String(cString: strerror(linkError)))")
        }
        syncDirectory(of: path)
        return true
    }

    /// The trimmed contents of a file that must be readable by its owner only;
    /// nil if it does not exist.
    public static func readPrivate(_ path: String) throws(OwnerOnlyFileError) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT { return nil }
            throw OwnerOnlyFileError("cannot read \(path): \(String(cString: strerror(errno)))")
        }
        let mode = info.st_mode & 0o777
        guard mode & 0o077 == 0 else {
            throw OwnerOnlyFileError(
                "secret file \(path) is readable by group or others (mode \(String(mode, radix: 8))): run chmod 600 \(path)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw OwnerOnlyFileError("cannot read \(path)")
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// fsync of the directory holding `path`, so a rename or link in it survives a power loss.
    static func syncDirectory(of path: String) {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let fd = Foundation.open(directory, O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }
}

/// A secret file that cannot be used as it is; its message is one line.
public struct OwnerOnlyFileError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
