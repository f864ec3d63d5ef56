import AttributionStore
import Foundation
import Metrics
import Prometheus

/// The Prometheus registry behind swift-metrics, rendered at `GET /metrics`.
public final class MetricsEndpoint: Sendable {
    public let registry: PrometheusCollectorRegistry

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
    }

    /// Installs this registry as the process-wide metrics backend (once per process).
    public static func bootstrap() -> MetricsEndpoint {
        let endpoint = MetricsEndpoint()
        var factory = PrometheusMetricsFactory(registry: endpoint.registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1),
        ]
        MetricsSystem.bootstrap(factory)
        return endpoint
    }

    public func render() -> String {
        var buffer = [UInt8]()
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    /// Inbox gauges are read from the database when scraped, so they are never stale.
    func refreshGauges(database: AppDatabase) async {
        guard let status = try? await database.inboxStatus(now: Int64(Date().timeIntervalSince1970)) else { return }
        Gauge(label: MetricName.inboxPending).record(status.counts[.pending, default: 0] + status.counts[.failed, default: 0])
        Gauge(label: MetricName.oldestPendingAge).record(status.oldestPendingAgeSeconds ?? 0)
    }
}
