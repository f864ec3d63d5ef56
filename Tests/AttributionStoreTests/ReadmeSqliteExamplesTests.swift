import Foundation
import Testing

/// docs/querying.md shows sqlite3 commands and their output, and docs/report.md
/// a report table: running them on the fixture database with the real `sqlite3`
/// binary must print exactly what the documents show.
@Suite struct ReadmeSqliteExamplesTests {
    static let docs = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs")
    static let document = docs.appendingPathComponent("querying.md")
    static let reportDocument = docs.appendingPathComponent("report.md")

    /// Each ```sh block that runs sqlite3, with the ```text block after it.
    static func examples(in text: String) -> [(flags: [String], sql: String, output: String)] {
        let blocks = text.components(separatedBy: "```")
        var out: [(flags: [String], sql: String, output: String)] = []
        for i in stride(from: 1, to: blocks.count - 2, by: 2) {
            guard blocks[i].hasPrefix("sh\nsqlite3 "), blocks[i + 2].hasPrefix("text\n") else { continue }
            let command = blocks[i].dropFirst("sh\n".count)
            guard let open = command.firstIndex(of: "\""), let close = command.lastIndex(of: "\""), open < close else { continue }
            let words = command[..<open].split(separator: " ").map(String.init)
            out.append(
                (
                    Array(words.dropFirst().dropLast()), String(command[command.index(after: open)..<close]),
                    String(blocks[i + 2].dropFirst("text\n".count))
                ))
        }
        return out
    }

    static func sqlite3(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["sqlite3"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "sqlite3 \(arguments) failed")
        return String(decoding: data, as: UTF8.self)
    }

    @Test func sqlite3ExamplesPrintWhatTheDocumentShows() async throws {
        let text = try String(contentsOf: Self.document, encoding: .utf8)
        let examples = Self.examples(in: text)
        #expect(examples.count == 5)
        let (db, dir) = try await ReportFixture.makeDatabase()
        defer { try? FileManager.default.removeItem(at: dir) }
        for example in examples {
            let actual = try Self.sqlite3(example.flags + [db.path, example.sql])
            #expect(actual == example.output, "for: \(example.sql)\n--- actual ---\n\(actual)")
        }
    }

    @Test func reportExampleIsTheGoldenTable() throws {
        let text = try String(contentsOf: Self.reportDocument, encoding: .utf8)
        #expect(text.contains("```text\n" + ReportFormatsGoldenTests.goldenTable + "```"))
    }
}
