import ArgumentParser
import AttributionCore
import AttributionServer
import AttributionStore
import Foundation

/// `attributiond send-test-events`: the testing suite. Sends a signed, realistic
/// run of Stripe events to a running daemon and prints a checklist.
struct SendTestEventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send-test-events",
        abstract: "Send a signed test sequence of Stripe events to a running daemon and check the results.",
        discussion: """
            Checks that each delivery is accepted (or, for the duplicate and the badly signed one, \
            answered as it should be) and, with --db, that the daemon applied each with the right effect. \
            Exits 0 only if every check passes.
            """)

    @OptionGroup var common: CommonOptions

    @Option(help: "Webhook URL (default http://<ATTRIBUTIOND_LISTEN or 127.0.0.1:8080>/webhooks/stripe).")
    var url: String?

    @Option(help: "Signing secret (default STRIPE_WEBHOOK_SECRET, the serve secret settings, or the one stored in --db).")
    var secret: String?

    func run() async throws {
        let settings = try await common.settings()
        let environment = ProcessInfo.processInfo.environment
        var checks: [TestSuiteCheck] = []
        // Only a database named by the user is checked: the default path may be an unrelated file.
        var database: AppDatabase?
        if common.db != nil || environment["ATTRIBUTIOND_DB"] != nil {
            do {
                database = try AppDatabase.open(path: settings.databasePath, readonly: true)
            } catch {
                checks.append(TestSuiteCheck("read the daemon's database", passed: false, detail: error.description))
            }
        }
        guard
            let secret = secret ?? settings.secrets.first
                ?? (database == nil ? nil : try? ServerSettings.generatedSecret(databasePath: settings.databasePath))
        else {
            throw UsageError(message: "no signing secret: give --secret, set STRIPE_WEBHOOK_SECRET, or --db of the daemon")
        }
        let target = try webhookURL(settings)
        let runner = TestSuiteRunner(
            url: target, secret: secret,
            sequence: TestEventSequence(start: Int64(Date().timeIntervalSince1970) - 60))
        print("sending test events to \(target.absoluteString) (run \(runner.sequence.runId))")
        checks += await runner.deliver()
        if let database { checks += await runner.checkEffects(in: database) }
        for check in checks { print(check.line) }
        let failed = checks.filter { !$0.passed }.count
        if database == nil && checks.allSatisfy(\.passed) {
            print("(give --db PATH of the daemon's database to check the effects too)")
        }
        guard failed == 0 else { throw RuntimeFailure(message: "\(failed) of \(checks.count) checks failed") }
        print("all \(checks.count) checks passed")
    }

    /// `--url` as given (a bare `http://host:port` gets the webhook path), else from the listen setting.
    private func webhookURL(_ settings: ServerSettings) throws -> URL {
        guard let url else {
            let host = settings.host.contains(":") ? "[\(settings.host)]" : settings.host
            return URL(string: "http://\(host):\(settings.port)/webhooks/stripe")!
        }
        guard var components = URLComponents(string: url), components.scheme != nil, components.host != nil else {
            throw UsageError(message: "invalid --url '\(url)': expected e.g. http://127.0.0.1:8080/webhooks/stripe")
        }
        if components.path.isEmpty || components.path == "/" { components.path = "/webhooks/stripe" }
        return components.url!
    }
}
