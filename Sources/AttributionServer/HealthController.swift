import AttributionStore
import Hummingbird

/// `/healthz` (the process answers), `/readyz` (database writable and worker
/// running), `/metrics` (Prometheus text).
struct HealthController: Sendable {
    let database: AppDatabase
    let worker: WorkerService
    let metrics: MetricsEndpoint?

    func addRoutes(to router: Router<BasicRequestContext>) {
        router.get("/healthz") { _, _ in Response.json(.ok, #"{"status":"ok"}"#) }
        router.get("/readyz") { _, _ in await self.ready() }
        router.get("/metrics") { _, _ in
            guard let metrics = self.metrics else { return Response.jsonError(.notFound, "metrics are off") }
            await metrics.refreshGauges(database: self.database)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(string: metrics.render())))
        }
    }

    private func ready() async -> Response {
        do {
            try await database.probeWritable()
        } catch {
            return .jsonError(.serviceUnavailable, "database not writable: \(error)")
        }
        guard worker.isAlive() else { return .jsonError(.serviceUnavailable, "worker not running") }
        return .json(.ok, #"{"status":"ready"}"#)
    }
}
