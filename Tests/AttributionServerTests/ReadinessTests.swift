import AttributionStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import AttributionServer

/// `/readyz`: 200 only while the database takes writes and the worker runs.
@Suite struct ReadinessTests {
    @Test func readyWhenTheDatabaseIsWritableAndTheWorkerRuns() async throws {
        let directory = try TemporaryDirectory()
        let database = try AppDatabase.open(path: directory.path + "/a.sqlite")
        let app = buildApplication(settings: ServerSettings(secrets: ["whsec_x"]), database: database, logger: testLogger)
        try await app.test(.router) { client in
            // The worker counts as alive after its first turn, which follows start-up at once.
            var status = HTTPResponse.Status.serviceUnavailable
            for _ in 0..<50 where status != .ok {
                status = try await client.execute(uri: "/readyz", method: .get) { $0.status }
                if status != .ok { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(status == .ok)
        }
    }

    @Test func notReadyWhenTheDatabaseIsNotWritable() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/a.sqlite"
        _ = try AppDatabase.open(path: path)
        let readonly = try AppDatabase.open(path: path, readonly: true)
        let app = buildApplication(settings: ServerSettings(secrets: ["whsec_x"]), database: readonly, logger: testLogger)
        try await app.test(.router) { client in
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(String(buffer: response.body).contains("database not writable"))
            }
        }
    }

    @Test func notReadyWhenTheWorkerIsNotRunning() async throws {
        // A worker that was never started (or has returned) reports itself not alive.
        let database = try AppDatabase.makeEmpty()
        let worker = WorkerService(database: database, settings: ServerSettings(), logger: testLogger)
        let router = Router()
        HealthController(database: database, worker: worker, metrics: nil).addRoutes(to: router)
        try await Application(router: router).test(.router) { client in
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(String(buffer: response.body).contains("worker not running"))
            }
        }
    }
}
