import AttributionCore
import AttributionStore
import AttributionTestSupport
import Foundation

/// (1) Ingest: wrk posting distinct, correctly signed Stripe events to
/// `attributiond serve`, next to a bare Hummingbird endpoint in the same run,
/// and next to the reference intake (`ReferenceIntakeServer`).
struct IngestBench {
    let binaries: URL
    let seconds: Int
    let connections: Int
    let secret = "whsec_bench_secret"
    /// Signature tolerance both servers run with. The requests are signed once, before the
    /// first load, and 5 rounds of two 8-second loads (with start-up, sync and a slow
    /// machine) outlasted Stripe's 300 s: on 2026-12-07 the last round of both servers
    /// answered every request 400 in a fraction of the time a stored one takes. Checking
    /// a timestamp costs the same whatever the tolerance.
    static let tolerance = "86400"

    /// Reference intake and daemon each run this many times, in pairs, each on a fresh database.
    var rounds = 3

    /// One round's daemon: what wrk saw, and what the daemon stored and used.
    struct DaemonRun {
        var wrk: Wrk
        var stored: Int
        /// Applied by the worker before SIGTERM: its share of the machine during the burst.
        var applied: Int
        var rss: Double
        var exit: Int32
        var cpuMicros: Double
    }

    /// CPU µs the server spent per request wrk counted: on a shared machine a
    /// steadier measure of what a change costs than requests/s, which also
    /// depends on what else the two cores are doing.
    static func cpuMicros(of server: ListeningProcess, during load: () throws -> Wrk) rethrows -> (Wrk, Double) {
        let before = server.cpuSeconds
        let result = try load()
        return (result, (server.cpuSeconds - before) * 1e6 / Double(max(result.requests, 1)))
    }

    func run(into table: inout ResultTable) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("attributiond-bench-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let requestCount = seconds * 30_000
        print("ingest: writing \(requestCount) signed events…")
        let requests = try writeRequests(count: requestCount, to: dir)
        let script = dir.appendingPathComponent("post.lua")
        try Self.lua.write(to: script, atomically: true, encoding: .utf8)

        print("ingest: bare Hummingbird endpoint…")
        let bare = try ListeningProcess(binaries.appendingPathComponent("attributiond-bench"), ["bare-server"])
        let baseline = try Wrk.run(port: bare.port, seconds: seconds, connections: connections, script: script, requests: requests)
        _ = bare.stop()

        // The reference intake's rate moved by a fifth between two runs minutes
        // apart: each round measures it and the daemon back to back, and the rows
        // report the median of the rounds' ratios.
        //
        // The daemon used to run second in every round, just after the reference
        // had left a few hundred MB of dirty pages for the kernel to write back
        // while the daemon's fsyncs waited. So each load starts after `sync()`,
        // each database is deleted once read (its dirty pages are dropped, not
        // written), and the order alternates from round to round.
        var pairs: [(reference: Wrk, referenceCPU: Double, daemon: DaemonRun)] = []
        for round in 1...rounds {
            let daemonFirst = round % 2 == 0
            let early = daemonFirst ? try await daemonRun(dir: dir, round: round, script: script, requests: requests) : nil
            let (reference, referenceCPU) = try referenceRun(dir: dir, round: round, script: script, requests: requests)
            let daemon = if let early { early } else { try await daemonRun(dir: dir, round: round, script: script, requests: requests) }
            print(
                "ingest: round \(round): \(format(daemon.wrk.rate)) against \(format(reference.rate)) requests/s, "
                    + "\(format(daemon.cpuMicros, 1)) against \(format(referenceCPU, 1)) CPU µs per request")
            for (name, run) in [("attributiond", daemon.wrk), ("the reference intake", reference)] where run.non2xx > 0 {
                print(
                    "ingest: round \(round): \(name) answered \(run.non2xx) requests with an error: "
                        + "this round's rates are not of stored events")
            }
            pairs.append((reference, referenceCPU, daemon))
        }
        let results = pairs.map(\.daemon.wrk)
        let references = pairs.map(\.reference)
        let rate = median(results.map(\.rate))
        let referenceRate = median(references.map(\.rate))
        let p99 = median(results.map(\.p99))
        let referenceP99 = median(references.map(\.p99))
        let of = "median of \(rounds) rounds"

        table.add(
            "ingest requests/s (\(connections) connections)", format(rate), baseline: format(baseline.rate),
            // The speed target is against the reference intake (below), not against the bare endpoint.
            ratio: format(rate / baseline.rate, 2))
        table.add(
            "ingest of the reference intake alone", format(referenceRate), baseline: format(baseline.rate),
            ratio: format(referenceRate / baseline.rate, 2))
        table.add(
            "ingest of attributiond vs the reference intake (\(of))", format(rate), baseline: format(referenceRate),
            ratio: format(median(pairs.map { $0.daemon.wrk.rate / $0.reference.rate }), 2), target: "≥ 0.9")
        table.add(
            "ingest CPU µs per request, attributiond vs the reference intake (\(of))",
            format(median(pairs.map(\.daemon.cpuMicros)), 1), baseline: format(median(pairs.map(\.referenceCPU)), 1),
            ratio: format(median(pairs.map { $0.daemon.cpuMicros / $0.referenceCPU }), 2))
        table.add("ingest p50 latency ms", format(median(results.map(\.p50)), 2), baseline: format(baseline.p50, 2))
        table.add("ingest p99 latency ms", format(p99, 2), baseline: format(baseline.p99, 2))
        // The fsync sets the tail on this disk, so the tail target is relative to the reference intake's.
        table.add(
            "ingest p99 vs the reference intake's p99 ms (\(of))", format(p99, 2), baseline: format(referenceP99, 2),
            ratio: format(median(pairs.map { $0.daemon.wrk.p99 / $0.reference.p99 }), 2),
            target: referenceP99 < 12 ? "≤ 1.2 and < 15 ms" : "≤ 1.2")
        table.add(
            "ingest non-2xx / socket errors (all rounds)",
            "\(results.map(\.non2xx).reduce(0, +)) / \(results.map(\.socketErrors).reduce(0, +))", target: "0")
        // wrk cannot say which requests were answered, only how many; stored counts also
        // the requests in flight when it stopped. The crash-torture test checks each event.
        let counts = pairs.map { (stored: $0.daemon.stored, answered: min($0.daemon.wrk.requests - $0.daemon.wrk.non2xx, requestCount)) }
        let allStored = counts.allSatisfy { $0.stored >= $0.answered }
        table.add(
            "events stored ≥ answered 200 (each round)",
            "\(allStored ? "yes" : "NO"): " + counts.map { "\($0.stored) ≥ \($0.answered)" }.joined(separator: ", "),
            target: "yes")
        table.add(
            "events the worker applied during the load (all rounds)",
            "\(pairs.map(\.daemon.applied).reduce(0, +)) of \(counts.map(\.stored).reduce(0, +)) stored")
        table.add("daemon peak RSS MiB (largest round)", format(pairs.map(\.daemon.rss).max() ?? 0, 1), target: "≤ 64")
        table.add("daemon exit code after SIGTERM", pairs.map { "\($0.daemon.exit)" }.joined(separator: ", "), target: "0")
    }

    private func referenceRun(dir: URL, round: Int, script: URL, requests: URL) throws -> (Wrk, Double) {
        print("ingest: round \(round) of \(rounds): reference intake (verify, decode, group commit; nothing else)…")
        let dbPath = dir.appendingPathComponent("reference-\(round).sqlite").path
        let reference = try ListeningProcess(
            binaries.appendingPathComponent("attributiond-bench"),
            ["reference-intake", "--db", dbPath, "--secret", secret, "--tolerance", Self.tolerance])
        sync()
        let measured = try Self.cpuMicros(of: reference) {
            try Wrk.run(port: reference.port, seconds: seconds, connections: connections, script: script, requests: requests)
        }
        _ = reference.stop()
        Self.removeDatabase(dbPath)
        return measured
    }

    /// Deletes a measured database with its WAL, so its unwritten pages cost the next run nothing.
    static func removeDatabase(_ path: String) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    private func daemonRun(dir: URL, round: Int, script: URL, requests: URL) async throws -> DaemonRun {
        print("ingest: round \(round) of \(rounds): attributiond serve (synchronous=FULL, group commit)…")
        let dbPath = dir.appendingPathComponent("bench-\(round).sqlite").path
        let daemon = try ListeningProcess(
            binaries.appendingPathComponent("attributiond"),
            ["serve", "--db", dbPath, "--listen", "127.0.0.1:0", "--log-level", "notice", "--tolerance", Self.tolerance],
            environment: ["STRIPE_WEBHOOK_SECRET": secret])
        sync()
        let (result, cpu) = try Self.cpuMicros(of: daemon) {
            try Wrk.run(port: daemon.port, seconds: seconds, connections: connections, script: script, requests: requests)
        }
        let rss = daemon.peakRSSMiB
        let exit = daemon.stop()
        // One read of the inbox's status counts gives both what was stored and what was applied.
        let counts = try await AppDatabase.open(path: dbPath, readonly: true).inboxStatus(now: 0).counts
        Self.removeDatabase(dbPath)
        return DaemonRun(
            wrk: result, stored: counts.values.reduce(0, +), applied: counts[.applied] ?? 0, rss: rss, exit: exit,
            cpuMicros: cpu)
    }

    /// One line per request: `signature<TAB>body`, distinct event ids, signed now.
    func writeRequests(count: Int, to dir: URL, name: String = "requests.tsv") throws -> URL {
        let url = dir.appendingPathComponent(name)
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        let now = Int64(Date().timeIntervalSince1970)
        let runId = UUID().uuidString.prefix(8)
        var chunk = ""
        let template = try Fixtures.json("events/third-party-captures/stripe-ruby-mock.charge.succeeded.2020-08-27.json")
        for i in 0..<count {
            var event = template
            var data = event["data"] as! [String: Any]
            var object = data["object"] as! [String: Any]
            object["id"] = "ch_bench_\(runId)_\(i)"
            object["metadata"] = ["customer_key": "c\(i % 5000)@example.com", "partner_key": "p_\(i % 50)"]
            data["object"] = object
            event["data"] = data
            event["id"] = "evt_bench_\(runId)_\(i)"
            event["created"] = now
            // Unsorted: with sorted keys generating took ~1.3 ms an event, so at --seconds 8
            // the signatures went stale (300 s tolerance) before wrk sent them.
            let body = try EventFactory.serialize(event, sortedKeys: false)
            chunk += EventFactory.sign(body, secret: secret, at: now) + "\t" + body + "\n"
            if i % 1000 == 999 {
                handle.write(Data(chunk.utf8))
                chunk = ""
            }
        }
        handle.write(Data(chunk.utf8))
        return url
    }

    /// Each wrk thread posts its own slice of the requests file, in order.
    static let lua = #"""
        local threads = 0
        function setup(thread)
          thread:set("tid", threads)
          threads = threads + 1
        end
        function init(args)
          local n = tonumber(args[2])
          reqs = {}
          local i = 0
          for line in io.lines(args[1]) do
            if i % n == tid then
              local tab = line:find("\t", 1, true)
              reqs[#reqs + 1] = wrk.format("POST", "/webhooks/stripe",
                {["Content-Type"] = "application/json", ["Stripe-Signature"] = line:sub(1, tab - 1)}, line:sub(tab + 1))
            end
            i = i + 1
          end
          idx = 0
        end
        function request()
          idx = idx % #reqs + 1
          return reqs[idx]
        end
        """#
}
