import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The real `attributiond` binary, started on a temp database for end-to-end tests.
///
/// The one helper for every test that runs the binary: `serve` on a free
/// loopback port (`DaemonProcess(...)`), one-shot subcommands (`DaemonProcess.run`),
/// SIGTERM (`stop`) and `kill -9` (`kill9`), and the daemon's log lines.
public final class DaemonProcess: @unchecked Sendable {  // Process is thread-safe for what is used here; logs are behind a lock.
    public static let binary = Fixtures.repository.appendingPathComponent(".build/debug/attributiond").path

    public let process = Process()
    public let directory: URL
    public let databasePath: String
    public private(set) var port = 0
    private let stderrPipe = Pipe()
    private let stdoutPipe = Pipe()
    private let lock = NSLock()
    private var stderrText = ""

    /// Starts `attributiond serve` on 127.0.0.1 with a free port and waits until it listens.
    /// `directory` (a new temp directory if nil) holds `attribution.sqlite` unless `databasePath` is given.
    public init(
        arguments: [String] = [], environment: [String: String] = [:], directory: URL? = nil,
        databasePath: String? = nil
    ) throws {
        self.directory = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("attributiond-e2e-\(UUID())")
        self.databasePath = databasePath ?? self.directory.appendingPathComponent("attribution.sqlite").path
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["serve", "--db", self.databasePath, "--listen", "127.0.0.1:0"] + arguments
        process.environment = Self.cleanEnvironment().merging(environment) { _, b in b }
        process.standardError = stderrPipe
        process.standardOutput = stdoutPipe
        stderrPipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            self.lock.withLock { self.stderrText += String(decoding: data, as: UTF8.self) }
        }
        try process.run()
        port = try waitForPort()
    }

    /// Everything the daemon wrote on stderr so far.
    public var stderr: String { lock.withLock { stderrText } }
    /// The same, as lines.
    public var logs: [String] { stderr.split(separator: "\n").map(String.init) }
    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }

    private func waitForPort() throws -> Int {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let range = stderr.range(of: #"listening on 127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                return Int(stderr[range].split(separator: ":").last!)!
            }
            if !process.isRunning { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        throw DaemonError("daemon did not start listening:\n\(stderr)")
    }

    /// Sends `signal` (SIGTERM by default) and waits for the exit code.
    @discardableResult
    public func stop(signal: Int32 = SIGTERM, timeout: TimeInterval = 20) throws -> Int32 {
        if process.isRunning { kill(process.processIdentifier, signal) }
        guard waitForExit(timeout: timeout) else {
            kill(process.processIdentifier, SIGKILL)
            throw DaemonError("daemon did not stop within \(timeout) s")
        }
        return process.terminationStatus
    }

    /// `kill -9`: no shutdown, no flush, nothing the daemon can do about it.
    public func kill9() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// Polls until the process has exited; false if it still runs after `timeout`.
    public func waitForExit(timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        return !process.isRunning
    }

    public var standardOutput: String {
        String(decoding: stdoutPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    public func cleanup() {
        kill9()
        try? FileManager.default.removeItem(at: directory)
    }

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// POSTs `body` to `path` over the socket; returns the status and body.
    public func post(
        _ path: String, body: String, headers: [String: String] = [:],
        session: URLSession = .shared
    ) async throws -> (Int, String) {
        var request = URLRequest(url: URL(string: baseURL + path)!)
        request.httpMethod = "POST"
        request.httpBody = Data(body.utf8)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        let (data, response) = try await session.data(for: request)
        return ((response as! HTTPURLResponse).statusCode, String(decoding: data, as: UTF8.self))
    }

    public func get(_ path: String) async throws -> (Int, String) {
        let (data, response) = try await URLSession.shared.data(from: URL(string: baseURL + path)!)
        return ((response as! HTTPURLResponse).statusCode, String(decoding: data, as: UTF8.self))
    }

    /// Runs the binary with `arguments` to completion; returns exit code, stdout and stderr.
    public static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> (Int32, String, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.environment = cleanEnvironment().merging(environment) { _, b in b }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read stderr on another thread, so a chatty child cannot block on a full pipe.
        let errBox = DataBox()
        let reader = Thread {
            errBox.data = err.fileHandleForReading.readDataToEndOfFile()
            errBox.done.signal()
        }
        reader.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        errBox.done.wait()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errBox.data, as: UTF8.self))
    }

    /// The test process's environment without any attributiond or systemd settings,
    /// so a developer's shell cannot change what the tests see.
    public static func cleanEnvironment() -> [String: String] {
        ProcessInfo.processInfo.environment.filter { key, _ in
            !key.hasPrefix("ATTRIBUTIOND_")
                && ![
                    "STRIPE_WEBHOOK_SECRET", "NOTIFY_SOCKET", "WATCHDOG_USEC",
                    "CREDENTIALS_DIRECTORY", "STATE_DIRECTORY",
                ].contains(key)
        }
    }
}

private final class DataBox: @unchecked Sendable {  // written once by the reader thread before `done` is signalled
    var data = Data()
    let done = DispatchSemaphore(value: 0)
}

public struct DaemonError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A temporary directory removed when the value goes away.
public final class TemporaryDirectory: Sendable {
    public let path: String
    public init() throws {
        path = NSTemporaryDirectory() + "attributiond-e2e-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Polls `condition` every 50 ms for up to `seconds`; true as soon as it holds.
public func poll(seconds: Double = 15, _ condition: () throws -> Bool) async throws -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return try condition()
}
