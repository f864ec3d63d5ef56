import AttributionServer
import AttributionStore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The process-wide metrics backend: `MetricsSystem.bootstrap` may run only
/// once per process, so every suite shares this one and reads counters as
/// differences before/after.
enum TestMetrics {
    static let endpoint = MetricsEndpoint.bootstrap()
}

/// A quiet logger for applications built in tests.
let testLogger: Logger = {
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    return logger
}()

/// A temporary directory removed when the value goes away.
final class TemporaryDirectory: Sendable {
    let path: String
    init() throws {
        path = NSTemporaryDirectory() + "attributiond-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// A clock the test moves by hand, for the worker's heartbeat.
final class TestClock: Sendable {
    private let value = Atomic<Int64>(Int64(Date().timeIntervalSince1970))
    func now() -> Int64 { value.load(ordering: .relaxed) }
    func advance(by seconds: Int64) { value.add(seconds, ordering: .relaxed) }
}

/// A bound `AF_UNIX` datagram socket standing in for systemd's notify socket.
final class DatagramListener: @unchecked Sendable {
    /// What to put in `NOTIFY_SOCKET`: a file path, or `@name` for an abstract socket.
    let address: String
    private let fd: Int32
    private let file: String?

    init(abstract: Bool = false, directory: TemporaryDirectory) throws {
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        var name: [UInt8]
        if abstract {
            address = "@attributiond-test-\(UUID().uuidString.prefix(8))"
            name = Array(address.utf8)
            name[0] = 0
            file = nil
        } else {
            address = directory.path + "/notify.sock"
            name = Array(address.utf8) + [0]
            file = address
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { $0.copyBytes(from: name) }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + name.count)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard rc == 0 else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
    }

    deinit {
        close(fd)
        if let file { unlink(file) }
    }

    /// Every datagram waiting now, without blocking.
    func drain() -> [String] {
        var out: [String] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            guard n > 0 else { return out }
            out.append(String(decoding: buffer[..<n], as: UTF8.self))
        }
    }

    /// Datagrams received, in order, until they satisfy `until` or `timeout` passes.
    func collect(timeout: Duration, until: ([String]) -> Bool = { _ in false }) async -> [String] {
        let deadline = ContinuousClock.now + timeout
        var seen: [String] = []
        while ContinuousClock.now < deadline {
            seen += drain()
            if until(seen) { return seen }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return seen
    }
}

/// Runs the real application on 127.0.0.1 with a free port, gives `body` the port,
/// then shuts it down gracefully. (`app.test(.live)` binds "localhost", which may be ::1.)
func withRunningApplication<T: Sendable>(
    settings: ServerSettings, database: AppDatabase, metrics: MetricsEndpoint? = nil,
    _ body: @Sendable (Int) async throws -> T
) async throws -> T {
    var settings = settings
    settings.host = "127.0.0.1"
    settings.port = 0
    let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
    let app = buildApplication(
        settings: settings, database: database, logger: testLogger, metrics: metrics,
        onServerRunning: { portContinuation.yield($0) })
    let group = ServiceGroup(services: [app], logger: testLogger)
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        do {
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw POSIXError(.ECONNREFUSED) }
            let result = try await body(port)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return result
        } catch {
            await group.triggerGracefulShutdown()
            throw error
        }
    }
}
