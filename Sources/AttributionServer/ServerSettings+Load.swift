import AttributionStore
import Configuration
import Foundation
import Logging
import SystemPackage

extension ServerSettings {
    /// Resolves the settings. `flags` holds what was given on the command line;
    /// `environment` is the process environment (injected for tests).
    public static func load(flags: [SettingKey: String], environment: [String: String]) async throws(SettingsError) -> ServerSettings {
        let reader = try await makeReader(flags: flags, environment: environment)
        func text(_ key: SettingKey) -> String? {
            let configKey = ConfigKey(key.components)
            let secret = key == .stripeWebhookSecret || key == .apiToken
            return reader.string(forKey: configKey, isSecret: secret)
                ?? reader.int(forKey: configKey).map(String.init)
                ?? reader.double(forKey: configKey).map { String($0) }
        }
        var settings = ServerSettings()
        settings.databasePath = text(.db) ?? defaultDatabasePath(environment: environment)
        if let listen = text(.listen) { (settings.host, settings.port) = try parseListen(listen) }
        settings.secrets = try loadSecrets(text: text, environment: environment)
        if let v = text(.transactionSource) {
            guard let source = ApplySettings.TransactionSource(rawValue: v) else {
                throw SettingsError("invalid transaction source '\(v)': expected charge or invoice")
            }
            settings.apply.transactionSource = source
            settings.givenApply.insert(.transactionSource)
        }
        if let v = text(.partialRefunds) {
            guard let mode = ApplySettings.PartialRefunds(rawValue: v) else {
                throw SettingsError("invalid partial refunds '\(v)': expected prorate or delete")
            }
            settings.apply.partialRefunds = mode
            settings.givenApply.insert(.partialRefunds)
        }
        if let v = text(.toleranceSeconds) {
            guard let seconds = Int64(v), seconds > 0 else {
                throw SettingsError("invalid tolerance '\(v)': expected a positive number of seconds")
            }
            settings.toleranceSeconds = seconds
        }
        if let v = text(.readTimeoutSeconds) { settings.readTimeoutSeconds = try seconds(v, "read timeout") }
        if let v = text(.busyTimeoutSeconds) { settings.busyTimeoutSeconds = try seconds(v, "busy timeout") }
        if let token = text(.apiToken), !token.isEmpty { settings.apiToken = token }
        if let v = text(.logLevel) {
            guard let level = Logger.Level(rawValue: v.lowercased()) else {
                throw SettingsError("invalid log level '\(v)': expected trace, debug, info, notice, warning, error or critical")
            }
            settings.logLevel = level
        }
        return settings
    }

    private static func makeReader(flags: [SettingKey: String], environment: [String: String]) async throws(SettingsError) -> ConfigReader {
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        for (key, value) in flags { values[AbsoluteConfigKey(key.components)] = ConfigValue(.string(value), isSecret: false) }
        var providers: [any ConfigProvider] = [
            InMemoryProvider(name: "flags", values: values),
            EnvironmentVariablesProvider(
                environmentVariables: environment,
                secretsSpecifier: .specific(["STRIPE_WEBHOOK_SECRET", "ATTRIBUTIOND_API_TOKEN"])),
        ]
        if let path = flags[.config] ?? environment["ATTRIBUTIOND_CONFIG"] {
            do {
                let file = try await FileProvider<JSONSnapshot>(filePath: FilePath(path))
                providers.append(
                    KeyMappingProvider(upstream: file) { key in
                        AbsoluteConfigKey(SettingKey.fromFileKey(key.components))
                    })
            } catch {
                throw SettingsError("cannot read config file \(path): \(error)")
            }
        }
        return ConfigReader(providers: providers)
    }

    /// A positive, finite number of seconds (fractions allowed, at most a day).
    static func seconds(_ text: String, _ name: String) throws(SettingsError) -> Double {
        guard let value = Double(text), value.isFinite, value > 0, value <= 86_400 else {
            throw SettingsError("invalid \(name) '\(text)': expected a positive number of seconds")
        }
        return value
    }

    /// `./attribution.sqlite`, or under `$STATE_DIRECTORY` when systemd gives one.
    static func defaultDatabasePath(environment: [String: String]) -> String {
        if let state = environment["STATE_DIRECTORY"]?.split(separator: ":").first, !state.isEmpty {
            return "\(state)/attribution.sqlite"
        }
        return "./attribution.sqlite"
    }

    static func parseListen(_ text: String) throws(SettingsError) -> (String, Int) {
        guard let colon = text.lastIndex(of: ":"),
            let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port)
        else { throw SettingsError("invalid listen address '\(text)': expected HOST:PORT, e.g. 127.0.0.1:8080") }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw SettingsError("invalid listen address '\(text)': missing host") }
        return (host, port)
    }

    /// The secret `serve` generated on its first start, from `<database>.secret`;
    /// nil if there is none yet. A file that group or others may read is refused:
    /// anyone who can read it can forge webhooks.
    public static func generatedSecret(databasePath: String) throws(SettingsError) -> String? {
        let path = OwnerOnlyFile.secretPath(forDatabase: databasePath)
        let text: String?
        do { text = try OwnerOnlyFile.readPrivate(path) } catch { throw SettingsError(error.description) }
        guard let text else { return nil }
        guard !text.isEmpty else { throw SettingsError("the Stripe webhook secret in \(path) is empty") }
        return text
    }

    /// Secrets from `STRIPE_WEBHOOK_SECRET`, else a secret file (flag, env, or the
    /// systemd credential `stripe-webhook-secret`); comma-separated for rotation.
    static func loadSecrets(text: (SettingKey) -> String?, environment: [String: String]) throws(SettingsError) -> [String] {
        var raw = text(.stripeWebhookSecret)
        var path = text(.stripeSecretFile)
        if raw == nil, path == nil, let credentials = environment["CREDENTIALS_DIRECTORY"] {
            let candidate = "\(credentials)/stripe-webhook-secret"
            if FileManager.default.fileExists(atPath: candidate) { path = candidate }
        }
        if raw == nil, let path {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw SettingsError("cannot read Stripe secret file \(path)")
            }
            raw = String(decoding: data, as: UTF8.self)
        }
        guard let raw else { return [] }
        let secrets = raw.split(whereSeparator: { $0 == "," || $0 == "\n" })
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .filter { !$0.isEmpty }
        guard !secrets.isEmpty else { throw SettingsError("the Stripe webhook secret is empty") }
        return secrets
    }
}
