import AttributionStore
import Foundation

/// (6) `attributiond import` of a JSON-lines file of events, as a whole process:
/// its rate (check, store and apply, start to exit) against the worker's own
/// drain rate of the same events in this run, and its peak resident memory.
struct ImportBench {
    let binaries: URL
    let events: Int

    func run(into table: inout ResultTable) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("attributiond-bench-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("events.jsonl")
        print("import: writing \(events) events as JSON lines…")
        let bytes = try writeLines(to: file)

        print("import: attributiond import…")
        let start = ContinuousClock.now
        let (code, peak) = try runMeasuringPeak(
            binaries.appendingPathComponent("attributiond").path,
            ["import", file.path, "--db", dir.appendingPathComponent("import.sqlite").path])
        guard code == 0 else { throw BenchError("import failed with exit code \(code)") }
        let importRate = Double(events) / (ContinuousClock.now - start).seconds

        // The worker's rate on the same events, delivered as webhooks would have been.
        print("import: the worker draining the same events…")
        let db = try AppDatabase.open(path: dir.appendingPathComponent("drain.sqlite").path)
        for chunk in stride(from: 0, to: events, by: 20_000) {
            try await db.deliver((chunk..<min(events, chunk + 20_000)).map(Self.event))
        }
        let drain = try await ContinuousClock().measure {
            try await db.drainDue(batchSize: 200, settings: ApplySettings(), retry: RetryPolicy(), now: { 1_900_000_000 })
        }
        let drainRate = Double(events) / drain.seconds
        table.add(
            "import of \(events) events, JSON lines (\(bytes / 1_048_576) MiB), events/s", format(importRate),
            baseline: format(drainRate), ratio: format(importRate / drainRate, 2))
        table.add("import peak RSS MiB", format(peak, 1), target: "≤ 100")
    }

    /// Event `n` of the file: a customer with keys and a partner, then two of its charges, in turn.
    /// Written as text: JSONSerialization with sorted keys costs about a millisecond an event.
    static func event(_ n: Int) -> String {
        let c = n / 3
        let t = 1_700_000_000 + n
        switch n % 3 {
        case 0:
            return
                #"{"id":"evt_\#(n)","object":"event","type":"customer.created","created":\#(t),"livemode":true,"api_version":"2026-07-29.dahlia","data":{"object":{"id":"cus_\#(c)","object":"customer","created":\#(t),"email":"c\#(c)@x","name":null,"livemode":true,"metadata":{"customer_key":"c\#(c)@x","partner_key":"p_\#(c % 1000)"}}}}"#
        default:
            return
                #"{"id":"evt_\#(n)","object":"event","type":"charge.succeeded","created":\#(t),"livemode":true,"api_version":"2026-07-29.dahlia","data":{"object":{"id":"ch_\#(n)","object":"charge","created":\#(t),"amount":\#(1000 + n % 500),"amount_captured":\#(1000 + n % 500),"amount_refunded":0,"captured":true,"refunded":false,"currency":"usd","customer":"cus_\#(c)","status":"succeeded","paid":true,"livemode":true,"metadata":{"product_key":"pro"},"payment_intent":null}}}"#
        }
    }

    /// The events, one per line, written in chunks; returns the file's size.
    private func writeLines(to file: URL) throws -> Int {
        FileManager.default.createFile(atPath: file.path, contents: nil)
        let handle = try FileHandle(forWritingTo: file)
        defer { try? handle.close() }
        var written = 0
        for chunk in stride(from: 0, to: events, by: 20_000) {
            let lines = (chunk..<min(events, chunk + 20_000)).map(Self.event).joined(separator: "\n") + "\n"
            let data = Data(lines.utf8)
            try handle.write(contentsOf: data)
            written += data.count
        }
        return written
    }

    /// Runs a command and samples its peak resident memory (VmHWM, which only grows) until it exits.
    private func runMeasuringPeak(_ path: String, _ arguments: [String]) throws -> (Int32, Double) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        var peak = 0.0
        while process.isRunning {
            if let now = residentPeakMiB(of: process.processIdentifier) { peak = max(peak, now) }
            usleep(50_000)
        }
        process.waitUntilExit()
        return (process.terminationStatus, peak)
    }
}
