import Foundation

/// The real `sqlite3` shell on a database, fed statements on its standard input,
/// as an operator at a terminal would: it holds whatever transaction it opened.
public final class SQLiteShell: @unchecked Sendable {  // Process and the pipe are used from one test at a time
    public static let binary = "/usr/bin/sqlite3"
    public static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: binary) }

    private let process = Process()
    private let input = Pipe()

    public init(database: String) throws {
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["-batch", database]
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    /// Sends one line of SQL or a dot-command.
    public func execute(_ sql: String) throws {
        try input.fileHandleForWriting.write(contentsOf: Data((sql + "\n").utf8))
    }

    /// Ends the shell (closing its input), releasing whatever it held.
    public func quit() {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    deinit { if process.isRunning { process.terminate() } }
}
