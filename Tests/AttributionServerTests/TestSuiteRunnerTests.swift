import AttributionCore
import AttributionServer
import AttributionStore
import Foundation
import Hummingbird
import Testing

/// The `send-test-events` checks against the real application on a loopback socket.
@Suite struct TestSuiteRunnerTests {
    @Test func everyCheckPassesAgainstACorrectlyConfiguredDaemon() async throws {
        let database = try AppDatabase.makeEmpty()
        try await withRunningApplication(settings: ServerSettings(secrets: ["whsec_suite"]), database: database) { port in
            let runner = makeRunner(port: port, secret: "whsec_suite")
            let delivered = await runner.deliver()
            #expect(delivered.count == 7)
            #expect(delivered.filter { !$0.passed }.map(\.line) == [])
            let effects = await runner.checkEffects(in: database)
            #expect(effects.count == 5)
            #expect(effects.filter { !$0.passed }.map(\.line) == [])
        }
    }

    @Test func deliveriesFailWhenTheDaemonHasAnotherSecret() async throws {
        let database = try AppDatabase.makeEmpty()
        try await withRunningApplication(settings: ServerSettings(secrets: ["whsec_daemon"]), database: database) { port in
            var runner = makeRunner(port: port, secret: "whsec_other")
            runner.applyTimeout = .milliseconds(300)
            let delivered = await runner.deliver()
            // Every good delivery is refused; only the "must be rejected" one passes.
            #expect(delivered.filter(\.passed).map(\.name) == ["bad signature rejected with 400"])
            #expect(delivered.first?.line.contains("HTTP 400") == true)
            let effects = await runner.checkEffects(in: database)
            #expect(effects.filter(\.passed).map(\.name) == ["badly signed event not stored"])
        }
    }

    private func makeRunner(port: Int, secret: String) -> TestSuiteRunner {
        TestSuiteRunner(url: URL(string: "http://127.0.0.1:\(port)/webhooks/stripe")!, secret: secret,
                        sequence: TestEventSequence(start: Int64(Date().timeIntervalSince1970) - 60))
    }
}
