import ArgumentParser
import AttributionCore
import AttributionServer
import AttributionStore
import Crypto
import Foundation
import Hummingbird
import Logging

/// `attributiond serve`: the HTTP listener and the worker, until SIGTERM or SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the webhook listener and the worker.")

    @OptionGroup var common: CommonOptions
    @OptionGroup var apply: ApplyOptions

    @Option(help: "Listen address HOST:PORT (env ATTRIBUTIOND_LISTEN; default 127.0.0.1:8080; port 0 picks a free one).")
    var listen: String?

    @Option(help: "File holding the Stripe signing secret(s), comma-separated (env ATTRIBUTIOND_STRIPE_SECRET_FILE).")
    var stripeSecretFile: String?

    @Option(help: "Signature timestamp tolerance in seconds (env ATTRIBUTIOND_TOLERANCE_SECONDS; default 300).")
    var tolerance: String?

    @Option(help: "Seconds a request may take to arrive whole, and a connection may stay idle (env ATTRIBUTIOND_READ_TIMEOUT_SECONDS; default 30).")
    var readTimeout: String?

    @Option(help: "Seconds a write waits for a database lock before answering 503 (env ATTRIBUTIOND_BUSY_TIMEOUT_SECONDS; default 5).")
    var busyTimeout: String?

    @Option(help: "trace, debug, info, notice, warning, error or critical (env ATTRIBUTIOND_LOG_LEVEL).")
    var logLevel: String?

    func run() async throws {
        var extra = apply.flags
        extra[.listen] = listen
        extra[.stripeSecretFile] = stripeSecretFile
        extra[.toleranceSeconds] = tolerance
        extra[.logLevel] = logLevel
        extra[.readTimeoutSeconds] = readTimeout
        extra[.busyTimeoutSeconds] = busyTimeout
        var settings = try await common.settings(extra: extra)
        let level = settings.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "attributiond")
        logger.logLevel = level
        let metrics = MetricsEndpoint.bootstrap()
        let database = try common.open(settings)
        settings.apply = try await derivationSettings(database, settings, recordFirst: true)
        if settings.secrets.isEmpty { settings.secrets = [try storedOrGeneratedSecret(database, settings)] }
        logger.info("database ready", metadata: ["path": "\(settings.databasePath)", "synchronous": "full"])
        let app = buildApplication(settings: settings, database: database, logger: logger, metrics: metrics,
                                   notifier: SystemdNotifier(environment: ProcessInfo.processInfo.environment),
                                   onServerRunning: { [logger, host = settings.host] port in
            logger.notice("listening on \(host):\(port)", metadata: ["webhook": "/webhooks/stripe"])
        })
        // SIGTERM and SIGINT trigger a graceful shutdown: in-flight requests and the worker's batch finish.
        try await app.runService()
        logger.info("stopped")
    }

    /// The secret kept in the database; on first start a new one is generated,
    /// stored, and printed once with the webhook URL.
    private func storedOrGeneratedSecret(_ database: AppDatabase, _ settings: ServerSettings) throws -> String {
        let candidate = "whsec_" + Hex.encode(Array(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }))
        let kept = try database.settingInsertingIfAbsent("webhook_secret", value: candidate)
        if kept == candidate {
            print("""
                Generated a Stripe webhook signing secret (shown only this once; it is kept in the database):
                  \(kept)
                Point a Stripe webhook endpoint at http://\(settings.host):\(settings.port)/webhooks/stripe
                (or: stripe listen --forward-to \(settings.host):\(settings.port)/webhooks/stripe) and sign with this secret.
                """)
        }
        return kept
    }
}
