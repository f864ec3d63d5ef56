import AttributionCore
import AttributionStore
import AttributionTestSupport
import Foundation
import Testing

/// `partners statement KEY` in its three formats, on the ledger fixture; the
/// HTML rendered in a real headless Chromium (installed by `.ci/run`).
@Suite("Partner statements (end to end)")
struct PartnerStatementTests {
    let ledger = LedgerCommandsTests()

    @Test("the table and JSON list the period's transactions with commission and status, payouts and the balance")
    func tableAndJSON() async throws {
        defer { ledger.cleanup() }
        _ = try await ledger.prepare()
        let table = try ledger.run("partners", "statement", "p_acme", "--from", "2026-01-01", "--to", "2026-02-01")
        #expect(table.code == 0, "\(table.err)")
        #expect(table.out.hasPrefix("Statement for Acme (p_acme), from 2026-01-01T00:00:00Z to 2026-02-01T00:00:00Z (excluded)"))
        #expect(table.out.contains("Commission this period: 4.99 USD"))
        #expect(table.out.contains("ch_2") && !table.out.contains("ch_4"))
        #expect(table.out.contains("po_jan") && table.out.contains("po_feb"))
        let json = try ledger.run("partners", "statement", "p_acme", "--format", "json")
        let object = try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as! [String: Any]
        #expect((object["transactions"] as! [[String: Any]]).map { $0["status"] as! String } == ["paid", "paid"])
        #expect((object["balances"] as! [[String: Any]]).first?["due"] as? Int == 0)
        #expect(try ledger.run("partners", "statement", "p_typo").code == 1)
        #expect(try ledger.run("partners", "statement", "p_acme", "--format", "pdf").code == 2)
    }

    @Test("the HTML is one self-contained page: inline CSS, no scripts, nothing fetched")
    func htmlIsSelfContained() async throws {
        defer { ledger.cleanup() }
        _ = try await ledger.prepare()
        let html = try ledger.run("partners", "statement", "p_acme", "--format", "html").out
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains("<style>") && html.contains("size: A4"))
        #expect(!html.lowercased().contains("<script") && !html.contains("src=") && !html.contains("<link"))
        #expect(html.contains("24.99 USD"))
    }

    @Test("headless Chromium renders it: a non-blank screenshot, and the totals in the DOM")
    func rendersInChromium() async throws {
        guard let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first(where: FileManager.default.isExecutableFile)
        else {
            print("skipped: chromium is not installed (apt-get install -y chromium; CI installs it)")
            return
        }
        defer { ledger.cleanup() }
        _ = try await ledger.prepare()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("statement-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let page = dir.appendingPathComponent("statement.html")
        let shot = dir.appendingPathComponent("statement.png")
        try ledger.run("partners", "statement", "p_acme", "--format", "html").out.write(to: page, atomically: true, encoding: .utf8)
        let flags = ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(dir.path)/profile"]
        let dom = try Self.run(chromium, flags + ["--dump-dom", page.absoluteString])
        #expect(dom.contains("Commission statement") && dom.contains("24.99 USD") && dom.contains("4.99 USD"))
        _ = try Self.run(chromium, flags + ["--screenshot=\(shot.path)", "--window-size=794,1123", page.absoluteString])
        let png = try Data(contentsOf: shot)
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        // A blank white page compresses to a few kilobytes; text and tables do not.
        #expect(png.count > 15_000, "screenshot of \(png.count) bytes looks blank")
        if let keep = ProcessInfo.processInfo.environment["ATTRIBUTIOND_STATEMENT_PNG"] {
            try png.write(to: URL(fileURLWithPath: keep))
        }
    }

    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
