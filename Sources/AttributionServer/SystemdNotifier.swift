import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Sends sd_notify(3) messages (`READY=1`, `WATCHDOG=1`, `STOPPING=1`) to the
/// service manager's socket named by `NOTIFY_SOCKET`.
///
/// The protocol is one `AF_UNIX` datagram of newline-separated `KEY=VALUE`
/// lines, so it is written here directly rather than through libsystemd: no
/// system-library target, no `libsystemd-dev` on build machines, nothing to link
/// on macOS, and the whole client is the ~40 lines below. Abstract socket names
/// (`@name`) are supported, as systemd may hand those out.
public struct SystemdNotifier: Sendable {
    /// The socket path; a leading `@` names an abstract socket.
    public let socketPath: String
    /// Half of `WATCHDOG_USEC`: how often to ping; `nil` when the watchdog is off.
    public let watchdogInterval: Duration?

    public init(socketPath: String, watchdogInterval: Duration? = nil) {
        self.socketPath = socketPath
        self.watchdogInterval = watchdogInterval
    }

    /// The notifier systemd asked for in `environment`, or `nil` when not run under `Type=notify`.
    /// `WATCHDOG_PID`, when set, must be this process (sd_watchdog_enabled(3) does the same check).
    public init?(environment: [String: String], pid: Int32 = getpid()) {
        guard let path = environment["NOTIFY_SOCKET"], !path.isEmpty else { return nil }
        var interval: Duration?
        if let usec = environment["WATCHDOG_USEC"].flatMap(Int64.init), usec > 0,
            environment["WATCHDOG_PID"].flatMap(Int32.init).map({ $0 == pid }) ?? true
        {
            interval = .microseconds(usec / 2)
        }
        self.init(socketPath: path, watchdogInterval: interval)
    }

    /// Sends `state` (e.g. `"READY=1\nSTATUS=listening"`) in one datagram.
    public func send(_ state: String) throws(NotifyError) {
        #if canImport(Glibc)
            let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        #else
            let fd = socket(AF_UNIX, SOCK_DGRAM, 0)
        #endif
        guard fd >= 0 else { throw NotifyError("cannot create notify socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var name = Array(socketPath.utf8)
        if name.first == UInt8(ascii: "@") { name[0] = 0 }  // abstract namespace: leading NUL, no terminator
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard !name.isEmpty, name.count < capacity else { throw NotifyError("cannot notify \(socketPath): path too long") }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: name) }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + name.count + (name[0] == 0 ? 0 : 1))
        let bytes = Array(state.utf8)
        // Never block: this runs on Swift's cooperative pool, which has one thread per core.
        // A receiver that stopped reading (seen with a test's socket under load) blocked both
        // threads in sendto and stalled the whole process; a dropped ping is sent again next time.
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sockaddrPointer in
                sendto(fd, bytes, bytes.count, Int32(MSG_DONTWAIT), sockaddrPointer, length)
            }
        }
        guard sent == bytes.count else {
            throw NotifyError("cannot notify \(socketPath): \(String(cString: strerror(errno)))")
        }
    }
}

/// A notification that could not be delivered; the daemon logs it and carries on.
public struct NotifyError: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ description: String) { self.description = description }
}
