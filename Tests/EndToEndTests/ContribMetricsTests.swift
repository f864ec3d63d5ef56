import AttributionTestSupport
import Foundation
import Testing

/// The Grafana dashboard and the Prometheus alerts in contrib/ may only use metrics
/// the daemon really serves: scrape a daemon that has taken the test sequence and
/// find every `attributiond_*` name they mention.
@Suite(.serialized) struct ContribMetricsTests {
    static let contrib = Fixtures.repository.appendingPathComponent("contrib")

    /// `attributiond_…` names in a text; a histogram's `_bucket`, `_sum`, `_count` series count as served names.
    static func metricNames(in text: String) -> Set<String> {
        let regex = /attributiond_[a-z_]+[a-z]/
        return Set(text.matches(of: regex).map { String($0.output) })
    }

    @Test func dashboardIsADashboardOfItsPanels() throws {
        let data = try Data(contentsOf: Self.contrib.appendingPathComponent("grafana/attributiond.json"))
        let dashboard = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(dashboard["uid"] as? String == "attributiond")
        let panels = try #require(dashboard["panels"] as? [[String: Any]])
        #expect(panels.count >= 8)
        for panel in panels {
            let targets = panel["targets"] as? [[String: Any]] ?? []
            #expect(
                !targets.isEmpty && targets.allSatisfy { ($0["expr"] as? String)?.contains("attributiond_") == true },
                "panel \(panel["title"] ?? "?") has no attributiond query")
        }
    }

    @Test func everyMetricTheDashboardAndAlertsUseIsServed() async throws {
        let directory = try TemporaryDirectory()
        let database = directory.path + "/attribution.sqlite"
        let daemon = try DaemonProcess(
            environment: ["STRIPE_WEBHOOK_SECRET": "whsec_contrib"],
            directory: URL(fileURLWithPath: directory.path))
        let sent = try runAttributiond(
            ["send-test-events", "--url", "http://127.0.0.1:\(daemon.port)", "--db", database],
            environment: ["STRIPE_WEBHOOK_SECRET": "whsec_contrib"])
        #expect(sent.status == 0, "\(sent.stdout)\n\(sent.stderr)")
        let (status, metrics) = try await daemon.get("/metrics")
        #expect(try daemon.stop() == 0)
        #expect(status == 200)
        let served = Set(
            metrics.split(separator: "\n").filter { !$0.hasPrefix("#") }
                .compactMap { $0.split(whereSeparator: { $0 == "{" || $0 == " " }).first.map(String.init) })

        let dashboard = try String(contentsOf: Self.contrib.appendingPathComponent("grafana/attributiond.json"), encoding: .utf8)
        let alerts = try String(contentsOf: Self.contrib.appendingPathComponent("prometheus/alerts.yml"), encoding: .utf8)
        let used = Self.metricNames(in: dashboard).union(Self.metricNames(in: alerts))
        #expect(used.count >= 6)
        #expect(used.subtracting(served).sorted() == [], "served: \(served.sorted())")
    }
}
