import ArgumentParser
import AttributionCore
import AttributionStore
import Foundation

/// `attributiond backfill`: Stripe history read from the list API (docs/import.md).
///
/// Pages through events (Stripe keeps 30 days of them) and then each object
/// type, storing every page as `import` stores a file's items (`origin` =
/// `backfill`), together with where the next page starts. Killed at any
/// point, the next run resumes after the last page stored.
struct BackfillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backfill",
        abstract: "Store Stripe history read from Stripe's list API with a restricted key; resumable.")

    @OptionGroup var common: CommonOptions

    @Option(help: "File holding a Stripe restricted key with read access (rk_…). The key is never printed or stored.")
    var apiKeyFile: String

    @Option(
        help: "Only objects created on or after this date: YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (default: all; events: the last 30 days).")
    var since: String?

    @Option(help: "Stripe's API address.")
    var apiBase = "https://api.stripe.com"

    @Option(help: "The time the object snapshots carry: YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (default: when each page is read).")
    var asOf: String?

    /// The list endpoints read, in order. Stripe keeps events for 30 days; objects for ever.
    static let endpoints: [(path: String, query: [(String, String)])] = [
        ("/v1/events", []), ("/v1/customers", []), ("/v1/charges", []),
        ("/v1/subscriptions", [("status", "all")]), ("/v1/invoices", []), ("/v1/checkout/sessions", []),
        ("/v1/promotion_codes", []), ("/v1/disputes", []),
    ]

    func run() async throws {
        let sinceTime = try since.map { try Self.time($0, "--since") }
        let asOfTime = try asOf.map { try Self.time($0, "--as-of") }
        guard let url = URL(string: apiBase), url.scheme == "https" || url.scheme == "http", url.host != nil else {
            throw UsageError(message: "invalid --api-base '\(apiBase)': expected an http(s) URL")
        }
        let key = try Self.readKey(apiKeyFile)
        let settings = try await common.settings()
        let database = try common.open(settings)
        var client = StripeListClient(base: apiBase.hasSuffix("/") ? String(apiBase.dropLast()) : apiBase, key: key)
        client.onRetry = { FileHandle.standardError.write(Data("backfill: \($0)\n".utf8)) }

        // A cursor left by a run with other parameters is not this run's: start over (nothing is stored twice anyway).
        let parameters = "since=\(sinceTime.map(String.init) ?? "none") base=\(client.base)"
        var cursor = BackfillCursor(parameters: parameters, endpoint: 0, startingAfter: nil)
        if let left = try database.backfillCursor(), left.parameters == parameters {
            cursor = left
            let path = Self.endpoints[min(left.endpoint, Self.endpoints.count - 1)].path
            FileHandle.standardError.write(Data("backfill: resuming \(path) after \(left.startingAfter ?? "its start")\n".utf8))
        }
        var tally = ImportTally()
        var skipped = 0
        let progress = ProgressLine()
        for index in cursor.endpoint..<Self.endpoints.count {
            let endpoint = Self.endpoints[index]
            var after = index == cursor.endpoint ? cursor.startingAfter : nil
            var query = endpoint.query + [("limit", "100")]
            if index == 0 {
                // Stripe lists the events of the last 30 days only.
                query.append(("created[gte]", String(max(sinceTime ?? 0, now() - 30 * 86_400))))
            } else if let sinceTime {
                query.append(("created[gte]", String(sinceTime)))
            }
            var hasMore = true
            while hasMore {
                let body = try await client.page(endpoint.path, query: query + (after.map { [("starting_after", $0)] } ?? []))
                let page = try Self.read(body, path: endpoint.path, asOf: asOfTime ?? now())
                skipped += page.skipped
                hasMore = page.hasMore && page.lastId != nil
                after = page.lastId
                let next: BackfillCursor? =
                    hasMore
                    ? BackfillCursor(parameters: parameters, endpoint: index, startingAfter: after)
                    : index + 1 < Self.endpoints.count
                        ? BackfillCursor(parameters: parameters, endpoint: index + 1, startingAfter: nil) : nil
                let events = page.items.map { NewInboxEvent(imported: $0, origin: .backfill) }
                let outcomes = try await database.storeBackfillPage(events, cursor: next, receivedAt: now())
                for (item, outcome) in zip(page.items, outcomes) {
                    tally.add(item.kind, item.label, duplicate: outcome == .duplicate)
                    if outcome == .stored { tally.payloadBytes += item.payload.utf8.count }
                }
                progress.update { seconds in
                    "backfill: \(endpoint.path): \(tally.items) item(s) read, \(tally.storedCount) stored, \(ProgressLine.rate(tally.items, seconds))"
                }
            }
        }
        progress.finish()
        for line in tally.lines(verb: "stored") { print(line) }
        if skipped > 0 { print("skipped \(skipped) item(s) that cannot be applied (see the messages above)") }
        let applied = try await applyStoredEvents(
            database, settings, expected: tally.storedCount,
            averagePayloadBytes: tally.averagePayloadBytes)
        print(applied.summary)
    }

    /// A page's items, whether more follow, and the id to continue after.
    static func read(_ body: [UInt8], path: String, asOf: Int64) throws -> (
        items: [ImportedItem], hasMore: Bool, lastId: String?, skipped: Int
    ) {
        guard let json = try? JSONValue.parse(body), json["object"]?.string == "list", let data = json["data"]?.array else {
            throw RuntimeFailure(message: "cannot read \(path): Stripe's answer is not a list page")
        }
        var items: [ImportedItem] = []
        var skipped = 0
        var reader = JSONItemReader(source: MemorySource(body), limit: 1 << 20)
        while let output = try reader.next() {
            guard case .item(let bytes, let position) = output else {
                if case .problem(let why, let position) = output {
                    FileHandle.standardError.write(Data("backfill: \(path): \(position): \(why); skipped\n".utf8))
                }
                skipped += 1
                continue
            }
            do { items.append(try ImportedItem.read(bytes, asOf: asOf)) } catch {
                // Stripe's own objects; one the worker cannot read must not stop the whole history.
                FileHandle.standardError.write(Data("backfill: \(path): \(position): \(error); skipped\n".utf8))
                skipped += 1
            }
        }
        return (items, json["has_more"]?.bool ?? false, data.last?["id"]?.string, skipped)
    }

    static func readKey(_ path: String) throws -> String {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw UsageError(message: "cannot read the API key file \(path): \((error as NSError).localizedDescription)")
        }
        let key = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !key.isEmpty, !key.contains(where: { $0.isWhitespace }) else {
            throw UsageError(message: "the API key file \(path) must hold one Stripe key")
        }
        return key
    }

    static func time(_ text: String, _ flag: String) throws -> Int64 {
        guard let t = Timestamp.parse(text) else {
            throw UsageError(message: "invalid \(flag) '\(text)': expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ")
        }
        return t
    }
}
