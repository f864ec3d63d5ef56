import AttributionStore
import AttributionTestSupport
import Foundation

/// (6) `events prune` while `serve` takes webhooks: the intake's p99 with a
/// prune of many ignored events running, against the same load on the same
/// database without it, in the same run. Separate from the rest (`--only prune`).
struct PruneBench {
    let binaries: URL
    let events: Int
    let seconds: Int
    let connections: Int

    func run(into table: inout ResultTable) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("attributiond-bench-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let dbPath = dir.appendingPathComponent("prune.sqlite").path
        print("prune: storing and applying \(events) ignored events…")
        try await storeIgnored(at: dbPath)

        let ingest = IngestBench(binaries: binaries, seconds: seconds, connections: connections)
        // Each load posts events of its own: a repeated event is a cheap duplicate and would flatter the later runs.
        let loads = [8, connections]
        let runs = ["before", "during", "after"].flatMap { phase in loads.map { "\(phase)-\($0)" } }
        var requests: [String: URL] = [:]
        // Enough for the rate each load reaches here (about 4k and 13k a second), fewer than that would repeat.
        for run in runs {
            let perSecond = run.hasSuffix("-8") ? 6_000 : 16_000
            requests[run] = try ingest.writeRequests(count: seconds * perSecond, to: dir, name: "\(run).tsv")
        }
        let script = dir.appendingPathComponent("post.lua")
        try IngestBench.lua.write(to: script, atomically: true, encoding: .utf8)
        let daemon = try ListeningProcess(
            binaries.appendingPathComponent("attributiond"),
            ["serve", "--db", dbPath, "--listen", "127.0.0.1:0", "--log-level", "notice", "--tolerance", IngestBench.tolerance],
            environment: ["STRIPE_WEBHOOK_SECRET": ingest.secret])
        defer { _ = daemon.stop() }
        func load(_ phase: String) throws -> [Wrk] {
            try loads.map {
                try Wrk.run(port: daemon.port, seconds: seconds, connections: $0, script: script, requests: requests["\(phase)-\($0)"]!)
            }
        }

        // A light load (a few webhooks at a time, as most days bring) and the saturating one,
        // before, during and after the prune: the baseline is the mean of before and after, so
        // a machine that drifts during the run does not count for or against prune.
        print("prune: intake alone…")
        let before = try load("before")
        print("prune: intake while events prune runs…")
        let prune = Process()
        prune.executableURL = binaries.appendingPathComponent("attributiond")
        prune.arguments = ["events", "prune", "--ignored", "--before", "2030-01-01", "--db", dbPath]
        prune.environment = ProcessInfo.processInfo.environment.merging(["STRIPE_WEBHOOK_SECRET": ingest.secret]) { _, b in b }
        let output = Pipe()
        prune.standardOutput = output
        let started = Date()
        try prune.run()
        let busy = try load("during")
        let stillRunning = prune.isRunning
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        prune.waitUntilExit()
        let took = Date().timeIntervalSince(started)
        guard prune.terminationStatus == 0 else { throw BenchError("prune failed: \(printed)") }
        print("prune: intake alone again…")
        let after = try load("after")

        for (index, load) in loads.enumerated() {
            let p99 = (before[index].p99 + after[index].p99) / 2
            let rate = (before[index].rate + after[index].rate) / 2
            table.add(
                "intake p99 ms, \(load) connections, while prune deletes \(events) ignored events", format(busy[index].p99, 2),
                baseline: format(p99, 2), ratio: format(busy[index].p99 / p99, 2), target: "≤ 1.2 (vs no prune)")
            table.add(
                "intake requests/s, \(load) connections, while prune runs", format(busy[index].rate),
                baseline: format(rate), ratio: format(busy[index].rate / rate, 2))
        }
        table.add("intake non-2xx while prune runs", "\((before + busy + after).map(\.non2xx).reduce(0, +))", target: "0")
        let summary = printed.split(separator: "\n").first.map(String.init) ?? ""
        table.add(
            "prune of \(events) events s (\(summary))", format(took, 1),
            target: stillRunning ? "outlasted the load" : "ended before the load did")
    }

    /// `events` ignored events (a 2 KB `product.updated` each), applied, so their status is `ignored`.
    private func storeIgnored(at path: String) async throws {
        let db = try AppDatabase.open(path: path)
        let padding = String(repeating: "x", count: 2000)
        for start in stride(from: 0, to: events, by: 5000) {
            let payloads = (start..<min(start + 5000, events)).map { n in
                """
                {"id":"evt_prune_\(n)","object":"event","type":"product.updated","created":\(1_700_000_000 + n),\
                "livemode":true,"api_version":"2026-07-29.dahlia","pending_webhooks":1,"data":{"object":\
                {"id":"prod_\(n)","object":"product","active":true,"name":"Plan \(n)","description":"\(padding)"}}}
                """
            }
            try await db.deliver(payloads)
        }
        try await db.drainDue(batchSize: 200, settings: ApplySettings(), retry: RetryPolicy(), now: { 1_900_000_000 })
        let ignored = try db.count("inbox_events", where: "status = 'ignored'")
        guard ignored == events else { throw BenchError("expected \(events) ignored events, found \(ignored)") }
    }
}
