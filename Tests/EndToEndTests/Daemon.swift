import Foundation
import Synchronization

/// Paths of the package and of the built `attributiond` binary, found from this file.
enum Build {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let binary = packageRoot.appendingPathComponent(".build/debug/attributiond").path
}

/// What a finished process printed and how it exited.
struct ProcessResult: Sendable {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs the built binary with `arguments` to completion.
func runAttributiond(_ arguments: [String], environment: [String: String] = [:]) async throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Build.binary)
    process.arguments = arguments
    process.environment = cleanEnvironment().merging(environment) { _, b in b }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Read before waiting, so a chatty child cannot block on a full pipe.
    async let stdout = out.fileHandleForReading.readToEnd()
    async let stderr = err.fileHandleForReading.readToEnd()
    let (o, e) = try await (stdout, stderr)
    process.waitUntilExit()
    return ProcessResult(status: process.terminationStatus, stdout: String(decoding: o ?? Data(), as: UTF8.self),
                         stderr: String(decoding: e ?? Data(), as: UTF8.self))
}

/// The test process's environment without any attributiond or systemd settings,
/// so a developer's shell cannot change what the tests see.
func cleanEnvironment() -> [String: String] {
    ProcessInfo.processInfo.environment.filter { key, _ in
        !key.hasPrefix("ATTRIBUTIOND_") && !["STRIPE_WEBHOOK_SECRET", "NOTIFY_SOCKET", "WATCHDOG_USEC",
                                             "CREDENTIALS_DIRECTORY", "STATE_DIRECTORY"].contains(key)
    }
}

/// `attributiond serve` started as a real process on a free loopback port.
final class Daemon: @unchecked Sendable {  // Process is thread-safe for what is used here; logs are behind a Mutex.
    let process: Process
    let port: Int
    private let stderrLines: LineLog

    /// Starts the daemon and waits (up to 30 s) for its `listening on 127.0.0.1:PORT` line.
    init(database: String, environment: [String: String], extraArguments: [String] = []) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Build.binary)
        process.arguments = ["serve", "--db", database, "--listen", "127.0.0.1:0"] + extraArguments
        process.environment = cleanEnvironment().merging(environment) { _, b in b }
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        let lines = LineLog()
        let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
        Thread.detachNewThread {
            let listening = /listening on 127\.0\.0\.1:(\d+)/
            // Blocking reads on a thread of their own: the pipe is read until the daemon exits.
            var pending = ""
            // availableData returns what is there now (read(upToCount:) waits for the full count).
            while case let chunk = err.fileHandleForReading.availableData, !chunk.isEmpty {
                pending += String(decoding: chunk, as: UTF8.self)
                while let newline = pending.firstIndex(of: "\n") {
                    let line = String(pending[..<newline])
                    pending.removeSubrange(...newline)
                    lines.append(line)
                    if let match = line.firstMatch(of: listening), let port = Int(match.1) { portContinuation.yield(port) }
                }
            }
            portContinuation.finish()
        }
        try process.run()
        self.process = process
        self.stderrLines = lines
        let timeout = Task { try await Task.sleep(for: .seconds(30)); portContinuation.finish() }
        defer { timeout.cancel() }
        var iterator = portStream.makeAsyncIterator()
        guard let port = await iterator.next() else {
            process.terminate()
            throw DaemonError(message: "daemon did not start: \(lines.all.joined(separator: "\n"))")
        }
        self.port = port
    }

    var logs: [String] { stderrLines.all }

    /// SIGTERM, then the exit status (waits up to 20 s).
    func stop() async throws -> Int32 {
        process.terminate()
        for _ in 0..<200 where process.isRunning { try await Task.sleep(for: .milliseconds(100)) }
        return process.terminationStatus
    }
}

/// Lines a process wrote, appended from its reader thread.
final class LineLog: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}

struct DaemonError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
