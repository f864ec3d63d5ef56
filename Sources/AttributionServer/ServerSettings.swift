import AttributionStore
import Configuration
import Foundation
import Logging

/// Everything `serve` needs, resolved from flags > environment > config file > defaults (docs/operations.md).
public struct ServerSettings: Sendable {
    public var databasePath: String
    public var host: String
    public var port: Int
    /// Signing secrets; empty means "use or generate the one stored in the database".
    public var secrets: [String]
    public var apply: ApplySettings
    /// Which of `apply`'s settings were given (flag, environment or config file), not defaulted:
    /// a given one must agree with the settings recorded in the database.
    public var givenApply: Set<SettingKey> = []
    public var toleranceSeconds: Int64
    public var apiToken: String?
    public var logLevel: Logger.Level
    public var bodyLimit: Int
    /// Seconds a request may take to arrive whole (and a connection may stay idle)
    /// before the connection is closed: slow or stalled clients cannot hold sockets.
    public var readTimeoutSeconds: Double
    /// Seconds a write waits for a lock held by another connection (a `sqlite3`
    /// shell, an admin command) before the webhook answers 503.
    public var busyTimeoutSeconds: Double
    public var retry: RetryPolicy

    public init(
        databasePath: String = "./attribution.sqlite", host: String = "127.0.0.1", port: Int = 8080,
        secrets: [String] = [], apply: ApplySettings = ApplySettings(), toleranceSeconds: Int64 = 300,
        apiToken: String? = nil, logLevel: Logger.Level = .info, bodyLimit: Int = 1 << 20,
        readTimeoutSeconds: Double = 30, busyTimeoutSeconds: Double = 5, retry: RetryPolicy = RetryPolicy()
    ) {
        self.databasePath = databasePath
        self.host = host
        self.port = port
        self.secrets = secrets
        self.apply = apply
        self.toleranceSeconds = toleranceSeconds
        self.apiToken = apiToken
        self.logLevel = logLevel
        self.bodyLimit = bodyLimit
        self.readTimeoutSeconds = readTimeoutSeconds
        self.busyTimeoutSeconds = busyTimeoutSeconds
        self.retry = retry
    }
}

/// A setting that cannot be used; the message is one line for stderr (exit code 2).
public struct SettingsError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Names of every setting: the config key (environment variables are derived
/// from it by swift-configuration, `attributiond.db` → `ATTRIBUTIOND_DB`) and
/// the key in a JSON config file.
public enum SettingKey: String, CaseIterable, Sendable {
    case db, listen, stripeSecretFile, stripeWebhookSecret, transactionSource, partialRefunds
    case toleranceSeconds, readTimeoutSeconds, busyTimeoutSeconds, apiToken, logLevel, config

    /// Components of the canonical key; the environment provider upper-cases and joins them with `_`.
    var components: [String] {
        switch self {
        case .db: ["attributiond", "db"]
        case .listen: ["attributiond", "listen"]
        case .stripeSecretFile: ["attributiond", "stripe", "secret", "file"]
        case .stripeWebhookSecret: ["stripe", "webhook", "secret"]
        case .transactionSource: ["attributiond", "transaction", "source"]
        case .partialRefunds: ["attributiond", "partial", "refunds"]
        case .toleranceSeconds: ["attributiond", "tolerance", "seconds"]
        case .readTimeoutSeconds: ["attributiond", "read", "timeout", "seconds"]
        case .busyTimeoutSeconds: ["attributiond", "busy", "timeout", "seconds"]
        case .apiToken: ["attributiond", "api", "token"]
        case .logLevel: ["attributiond", "log", "level"]
        case .config: ["attributiond", "config"]
        }
    }

    /// The key in a JSON config file: `{"db": "...", "transaction_source": "invoice"}`.
    var fileKey: String {
        (components.first == "attributiond" ? components.dropFirst() : components[...]).joined(separator: "_")
    }

    static func fromFileKey(_ components: [String]) -> [String] {
        guard let match = allCases.first(where: { $0.components == components }) else { return components }
        return [match.fileKey]
    }
}
