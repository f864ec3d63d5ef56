import AttributionServer
import Testing

/// `--log-level` and `ATTRIBUTIOND_LOG_LEVEL` (docs/operations.md): flag over environment over the `info` default.
@Suite struct LogLevelSettingsTests {
    @Test func defaultIsInfo() async throws {
        #expect(try await ServerSettings.load(flags: [:], environment: [:]).logLevel == .info)
    }

    @Test func environmentSetsItAndTheFlagWins() async throws {
        let env = ["ATTRIBUTIOND_LOG_LEVEL": "debug"]
        #expect(try await ServerSettings.load(flags: [:], environment: env).logLevel == .debug)
        #expect(try await ServerSettings.load(flags: [.logLevel: "WARNING"], environment: env).logLevel == .warning)
    }

    @Test func unknownLevelIsAOneLineError() async throws {
        await #expect(throws: SettingsError.self) {
            try await ServerSettings.load(flags: [.logLevel: "loud"], environment: [:])
        }
    }
}
