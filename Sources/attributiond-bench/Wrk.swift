import Foundation

/// Runs wrk and reads its summary.
struct Wrk {
    var rate: Double = 0
    var p50: Double = 0
    var p99: Double = 0
    var requests = 0
    var non2xx = 0
    var socketErrors = 0

    static func run(port: Int, seconds: Int, connections: Int, script: URL, requests: URL) throws -> Wrk {
        let threads = 2
        let (code, out) = try runCommand(
            "/usr/bin/wrk",
            [
                "-t\(threads)", "-c\(connections)", "-d\(seconds)s", "--latency", "-s", script.path,
                "http://127.0.0.1:\(port)", "--", requests.path, "\(threads)",
            ])
        guard code == 0 else { throw BenchError("wrk failed: \(out)") }
        return parse(out)
    }

    static func parse(_ text: String) -> Wrk {
        var w = Wrk()
        for raw in text.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if line.hasPrefix("Requests/sec:") { w.rate = Double(fields[1]) ?? 0 }
            if line.hasPrefix("50%") { w.p50 = milliseconds(fields[1]) }
            if line.hasPrefix("99%") { w.p99 = milliseconds(fields[1]) }
            if line.contains("requests in") { w.requests = Int(fields[0]) ?? 0 }
            if line.hasPrefix("Non-2xx") { w.non2xx = Int(fields.last!) ?? 0 }
            if line.hasPrefix("Socket errors") {
                w.socketErrors = line.split(separator: ",").compactMap { Int($0.split(separator: " ").last ?? "") }.reduce(0, +)
            }
        }
        return w
    }

    static func milliseconds(_ text: Substring) -> Double {
        if text.hasSuffix("us") { return (Double(text.dropLast(2)) ?? 0) / 1000 }
        if text.hasSuffix("ms") { return Double(text.dropLast(2)) ?? 0 }
        if text.hasSuffix("s") { return (Double(text.dropLast(1)) ?? 0) * 1000 }
        return Double(text) ?? 0
    }
}
