import Foundation

/// The real `sqlite3` shell on a database, fed statements on its standard input,
/// as an operator at a terminal would: it holds whatever transaction it opened.
public final class SQLiteShell: @unchecked Sendable {  // Process and the pipe are used from one test at a time
    public static let binary = "/usr/bin/sqlite3"
    public static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: binary) }

    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private let lock = NSLock()
    private var printed = ""
    private var marks = 0

    public init(database: String) throws {
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["-batch", database]
        process.standardInput = input
        // Errors and results on one pipe, in the order the shell wrote them.
        process.standardOutput = output
        process.standardError = output
        output.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            self.lock.withLock { self.printed += String(decoding: data, as: UTF8.self) }
        }
        try process.run()
    }

    /// Sends one line of SQL or a dot-command, without waiting for it.
    public func execute(_ sql: String) throws {
        try input.fileHandleForWriting.write(contentsOf: Data((sql + "\n").utf8))
    }

    /// Sends one line and waits until the shell has finished it; returns what it
    /// printed (results and error messages), so a test knows rather than guesses
    /// whether, say, `BEGIN IMMEDIATE` took the lock.
    public func run(_ sql: String, timeout: TimeInterval = 30) throws -> String {
        let mark = lock.withLock {
            marks += 1
            return "-- done \(marks) --"
        }
        let start = lock.withLock { printed.utf8.count }
        try execute(sql)
        try execute(".print '\(mark)'")
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let text = lock.withLock { String(decoding: printed.utf8.dropFirst(start), as: UTF8.self) }
            if let range = text.range(of: mark + "\n") { return String(text[..<range.lowerBound]) }
            Thread.sleep(forTimeInterval: 0.01)
        }
        throw ShellTimeout(sql: sql)
    }

    public struct ShellTimeout: Error, CustomStringConvertible {
        public let sql: String
        public var description: String { "sqlite3 did not finish \(sql) in time" }
    }

    /// Ends the shell (closing its input), releasing whatever it held.
    public func quit() {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
        output.fileHandleForReading.readabilityHandler = nil
    }

    deinit {
        output.fileHandleForReading.readabilityHandler = nil
        if process.isRunning { process.terminate() }
    }
}
