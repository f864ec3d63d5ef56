import AttributionTestSupport
import Foundation
import Testing

/// docs/cli.md is `--help` of every subcommand (scripts/generate-cli-docs writes it): the page
/// must list exactly the commands the binary has, each with the help text it prints today.
@Suite struct CLIDocsTests {
    static let page = Fixtures.repository.appendingPathComponent("docs/cli.md")

    /// `## attributiond events list` → ["events", "list"], with the ```text block under it.
    static func sections() throws -> [(path: [String], help: String)] {
        let text = try String(contentsOf: page, encoding: .utf8)
        return text.components(separatedBy: "\n## ").dropFirst().map { section in
            let heading = section.prefix { $0 != "\n" }
            let help =
                section.components(separatedBy: "```text\n").dropFirst().first?
                .components(separatedBy: "```").first ?? ""
            return (heading.split(separator: " ").dropFirst().map(String.init), help)
        }
    }

    static func help(_ path: [String]) throws -> String {
        let result = try runAttributiond(path + ["--help"], environment: ["COLUMNS": "80"])
        #expect(result.status == 0, "attributiond \(path.joined(separator: " ")) --help: \(result.stderr)")
        return result.stdout
    }

    /// The command names under SUBCOMMANDS: in one help text.
    static func subcommands(in help: String) -> [String] {
        guard let start = help.range(of: "\nSUBCOMMANDS:\n") else { return [] }
        return help[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false)
            .prefix { $0.isEmpty || $0.hasPrefix(" ") }
            .filter { $0.hasPrefix("  ") && $0.dropFirst(2).first?.isLowercase == true }
            .compactMap { $0.split(separator: " ").first.map(String.init) }
    }

    @Test func everySectionIsTheLiveHelpText() throws {
        let sections = try Self.sections()
        #expect(sections.count > 10)
        for section in sections {
            #expect(
                section.help == (try Self.help(section.path)),
                "docs/cli.md is stale for '\(section.path.joined(separator: " "))': run scripts/generate-cli-docs")
        }
    }

    @Test func everySubcommandHasASection() throws {
        let documented = Set(try Self.sections().map(\.path))
        var pending: [[String]] = [[]]
        var live: Set<[String]> = []
        while let path = pending.popLast() {
            live.insert(path)
            pending += Self.subcommands(in: try Self.help(path)).map { path + [$0] }
        }
        #expect(live.count > 10)
        #expect(documented == live, "run scripts/generate-cli-docs")
    }
}
