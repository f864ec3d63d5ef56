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

    @Option(
        help:
            "Seconds a request may take to arrive whole, and a connection may stay idle (env ATTRIBUTIOND_READ_TIMEOUT_SECONDS; default 30)."
    )
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
        // A loose secret file is refused before anything starts.
        if settings.secrets.isEmpty { _ = try Self.generatedSecret(settings) }
        let database = try common.open(settings)
        settings.apply = try await derivationSettings(database, settings, recordFirst: true)
        if settings.secrets.isEmpty { settings.secrets = [try keptOrGeneratedSecret(settings, logger: logger)] }
        logger.info("database ready", metadata: ["path": "\(settings.databasePath)", "synchronous": "full"])
        let app = buildApplication(
            settings: settings, database: database, logger: logger, metrics: metrics,
            notifier: SystemdNotifier(environment: ProcessInfo.processInfo.environment),
            onServerRunning: { [logger, host = settings.host] port in
                logger.notice("listening on \(host):\(port)", metadata: ["webhook": "/webhooks/stripe"])
            })
        // SIGTERM and SIGINT trigger a graceful shutdown: in-flight requests and the worker's batch finish.
        try await app.runService()
        logger.info("stopped")
    }

    /// The secret kept in `<database>.secret`; on first start a new one is
    /// generated, written there (0600), and printed once with the webhook URL.
    private func keptOrGeneratedSecret(_ settings: ServerSettings, logger: Logger) throws -> String {
        if let kept = try Self.generatedSecret(settings) { return kept }
        let path = OwnerOnlyFile.secretPath(forDatabase: settings.databasePath)
        let candidate = "whsec_" + Hex.encode(Array(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }))
        do {
            // Another process may have won the race to create the file: take its secret.
            guard try OwnerOnlyFile.writeNew(candidate + "\n", to: path) else {
                return try Self.generatedSecret(settings) ?? candidate
            }
        } catch {
            throw RuntimeFailure(message: "cannot keep the generated webhook secret: \(error)")
        }
        // Written straight to the descriptor: print() is buffered when stdout is a
        // pipe or a file, and the message would only appear when the daemon exits.
        FileHandle.standardOutput.write(
            Data(
                """
                Generated a Stripe webhook signing secret (shown only this once; it is kept in \(path)):
                  \(candidate)
                Point a Stripe webhook endpoint at http://\(settings.host):\(settings.port)/webhooks/stripe
                (or: stripe listen --forward-to \(settings.host):\(settings.port)/webhooks/stripe) and sign with this secret.

                """.utf8))
        logger.notice("generated a webhook signing secret; it is in \(path)")
        return candidate
    }

    private static func generatedSecret(_ settings: ServerSettings) throws -> String? {
        do { return try ServerSettings.generatedSecret(databasePath: settings.databasePath) } catch {
            throw UsageError(message: error.description)
        }
    }
}
