import AttributionTestSupport
import Foundation
import Testing

/// `systemd/attributiond.service` is valid and sandboxed (exposure ≤ 1.5).
@Suite struct SystemdUnitTests {
    static let analyze = "/usr/bin/systemd-analyze"
    static let unit = Fixtures.repository.appendingPathComponent("systemd/attributiond.service").path

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: analyze), "systemd-analyze is not installed"))
    func verifyIsClean() throws {
        // verify checks that ExecStart exists; the unit names the installed path
        // /usr/local/bin/attributiond, so a copy points at the binary just built.
        let directory = try TemporaryDirectory()
        let text = try String(contentsOfFile: Self.unit, encoding: .utf8)
        #expect(text.contains("ExecStart=/usr/local/bin/attributiond serve\n"))
        let copy = directory.path + "/attributiond.service"
        try text.replacingOccurrences(of: "ExecStart=/usr/local/bin/attributiond", with: "ExecStart=\(DaemonProcess.binary)")
            .write(toFile: copy, atomically: true, encoding: .utf8)
        let result = try run(Self.analyze, ["verify", copy])
        #expect(result.status == 0)
        #expect(result.output.isEmpty, "systemd-analyze verify said: \(result.output)")
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: analyze), "systemd-analyze is not installed"))
    func exposureIsAtMostOnePointFive() throws {
        let result = try run(Self.analyze, ["security", "--offline=true", Self.unit])
        let match = try #require(
            result.output.firstMatch(of: /Overall exposure level for attributiond\.service: (\d+\.\d+)/),
            "no exposure line in: \(result.output)")
        let exposure = try #require(Double(match.1))
        #expect(exposure <= 1.5)
    }

    @Test func unitHasTheServiceContract() throws {
        let text = try String(contentsOfFile: Self.unit, encoding: .utf8)
        for line in [
            "Type=notify", "NotifyAccess=main", "Restart=on-failure", "DynamicUser=yes",
            "StateDirectory=attributiond", "LoadCredential=stripe-webhook-secret:/etc/attributiond/stripe-webhook-secret",
        ] {
            #expect(text.contains("\n\(line)\n"), "missing \(line)")
        }
        #expect(text.contains("\nWatchdogSec="))
    }

    private func run(_ tool: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
