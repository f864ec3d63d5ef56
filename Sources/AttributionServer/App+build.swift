import AttributionCore
import AttributionStore
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The pieces of a running daemon, built from settings and an open database.
/// Tests build the same application and drive it through `app.test(.router)`.
public func buildApplication(
    settings: ServerSettings,
    database: AppDatabase,
    logger: Logger,
    metrics: MetricsEndpoint? = nil,
    clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) },
    notifier: SystemdNotifier? = nil,
    onServerRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let pressure = IntakePressure()
    let worker = WorkerService(
        database: database, settings: settings, logger: Logger.labelled("worker", like: logger),
        pressure: pressure, clock: clock)
    let inbox = InboxWriter(database: database, pressure: pressure, clock: clock, onCommit: { _ in worker.wake() })
    let router = Router()
    router.middlewares.add(RequestTimingMiddleware())
    WebhookController(
        verifier: StripeSignatureVerifier(secrets: settings.secrets, tolerance: settings.toleranceSeconds),
        inbox: inbox, bodyLimit: settings.bodyLimit, clock: clock
    ).addRoutes(to: router)
    HealthController(database: database, worker: worker, metrics: metrics).addRoutes(to: router)
    SignupController(database: database, settings: settings, clock: clock).addRoutes(to: router)
    let httpLogger = Logger.labelled("http", like: logger)
    // One read timeout bounds idle connections, trickled headers (idle timeout) and trickled bodies (deadline).
    let readTimeout = TimeAmount.milliseconds(Int64(settings.readTimeoutSeconds * 1000))
    var services: [any Service] = [worker]
    if let notifier {
        services.append(
            SystemdNotifyService(
                notifier: notifier, logger: Logger.labelled("systemd", like: logger),
                isAlive: { worker.isAlive() }))
    }
    return Application(
        router: router,
        server: .http1(
            configuration: .init(
                additionalChannelHandlers: [RequestDeadlineHandler(timeout: readTimeout)],
                idleTimeout: readTimeout)),
        configuration: ApplicationConfiguration(
            address: .hostname(settings.host, port: settings.port),
            serverName: "attributiond"),
        services: services,
        onServerRunning: { channel in
            let port = channel.localAddress?.port ?? settings.port
            // Migrations ran when the database was opened, so bound means ready.
            do {
                try notifier?.send("READY=1\nSTATUS=listening on \(settings.host):\(port)")
            } catch {
                httpLogger.warning("cannot notify systemd", metadata: [LogKey.error: "\(error)"])
            }
            await onServerRunning(port)
        },
        logger: httpLogger
    )
}

extension Logger {
    /// A logger for one component (`http`, `worker`, `store`) at the level of `other`.
    public static func labelled(_ label: String, like other: Logger) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = other.logLevel
        return logger
    }
}
