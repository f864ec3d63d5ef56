import AttributionTestSupport
import Foundation
import Testing

/// `attributiond send-test-events` against the real daemon binary, both built by `swift build`.
@Suite(.serialized) struct SendTestEventsTests {
    @Test func passesAgainstTheRealDaemonAndLogsNoSecretOrPayload() async throws {
        let directory = try TemporaryDirectory()
        let database = directory.path + "/attribution.sqlite"
        let secret = "whsec_e2e_\(UUID().uuidString.prefix(8))"
        let daemon = try DaemonProcess(environment: ["STRIPE_WEBHOOK_SECRET": secret], directory: URL(fileURLWithPath: directory.path))

        let result = try runAttributiond(
            [
                "send-test-events", "--url", "http://127.0.0.1:\(daemon.port)",
                "--db", database,
            ], environment: ["STRIPE_WEBHOOK_SECRET": secret])
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.filter { $0.hasPrefix("✓ ") }.count == 21)
        #expect(!lines.contains { $0.hasPrefix("✗ ") })
        #expect(result.stdout.contains("all 21 checks passed"))

        #expect(try daemon.stop() == 0)
        let logs = daemon.stderr
        // One info line per delivery outcome, with ids, never the secret or the body.
        #expect(logs.components(separatedBy: "webhook accepted").count - 1 == 12)
        #expect(logs.contains("webhook duplicate"))
        #expect(logs.contains("webhook refused"))
        #expect(!logs.contains(secret))
        #expect(!logs.contains("\"object\"") && !logs.contains("@example.com") && !logs.contains("\"data\""))
    }

    @Test func secretTakenFromTheDatabaseWhenOnlyDbIsGiven() async throws {
        // Given a daemon that generated and stored its own secret on first start
        let directory = try TemporaryDirectory()
        let database = directory.path + "/attribution.sqlite"
        let daemon = try DaemonProcess(environment: [:], directory: URL(fileURLWithPath: directory.path))
        let result = try runAttributiond([
            "send-test-events", "--url", "http://127.0.0.1:\(daemon.port)/webhooks/stripe",
            "--db", database,
        ])
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(try daemon.stop() == 0)
    }

    @Test func failsWhenTheDaemonHasAnotherSecret() async throws {
        let directory = try TemporaryDirectory()
        let database = directory.path + "/attribution.sqlite"
        let daemon = try DaemonProcess(
            environment: ["STRIPE_WEBHOOK_SECRET": "whsec_daemon_side"], directory: URL(fileURLWithPath: directory.path))
        let result = try runAttributiond([
            "send-test-events", "--url", "http://127.0.0.1:\(daemon.port)",
            "--db", database, "--secret", "whsec_sender_side",
        ])
        #expect(result.status == 1)
        #expect(result.stdout.contains("✗ customer.created accepted: HTTP 400"))
        #expect(result.stdout.contains("✓ bad signature rejected with 400"))
        #expect(result.stdout.contains("✗ transaction ch_test_") && result.stdout.contains("through promotion code"))
        #expect(result.stderr.contains("checks failed"))
        #expect(try daemon.stop() == 0)
    }

    @Test func failsWhenNoDaemonListens() async throws {
        let result = try runAttributiond(["send-test-events", "--url", "http://127.0.0.1:9", "--secret", "whsec_x"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("✗ customer.created delivered: cannot POST"))
    }
}

/// What a finished process printed and how it exited.
struct ProcessResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs the built binary with `arguments` to completion.
func runAttributiond(_ arguments: [String], environment: [String: String] = [:]) throws -> ProcessResult {
    let (status, stdout, stderr) = try DaemonProcess.run(arguments, environment: environment)
    return ProcessResult(status: status, stdout: stdout, stderr: stderr)
}
