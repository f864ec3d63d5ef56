import AttributionTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// A fake of Stripe's list API for the `backfill` tests, on 127.0.0.1.
///
/// Serves each endpoint's objects in pages of `limit` with `has_more` and
/// `starting_after`, as Stripe does; refuses a wrong key with Stripe's 401
/// body; and answers a page's first attempts with the faults it is given
/// (a 429 with `Retry-After`, a 500, a 403 naming the missing permission).
final class FakeStripe: @unchecked Sendable {  // mutable state is behind `lock`
    /// What a request for one page is answered with before the page itself.
    enum Fault: Sendable {
        case tooManyRequests(retryAfter: Int)
        case serverError
        case forbidden(permission: String)
    }

    /// One request as the fake saw it.
    struct Request: Sendable, Equatable {
        var path: String
        var startingAfter: String?
        var status: Int
        var query: [String: String]
        var stripeVersion: String?
    }

    let key: String
    private let lock = NSLock()
    private var objects: [String: [String]]
    private var faults: [String: [Fault]]
    private var log: [Request] = []
    private let delay: Duration
    private var task: Task<Void, any Error>?
    private(set) var port = 0

    /// `objects` by path (`/v1/customers` …), each a JSON object; `faults` by page (`path` or `path after ID`).
    init(key: String, objects: [String: [String]], faults: [String: [Fault]] = [:], delay: Duration = .zero) {
        self.key = key
        self.objects = objects
        self.faults = faults
        self.delay = delay
    }

    var base: String { "http://127.0.0.1:\(port)" }
    var requests: [Request] { lock.withLock { log } }

    /// Replaces the faults still to come (a permission granted, say).
    func setFaults(_ faults: [String: [Fault]]) { lock.withLock { self.faults = faults } }

    func start() async throws {
        let router = Router()
        router.get("/v1/**") { [self] request, _ -> Response in
            if delay > .zero { try await Task.sleep(for: delay) }
            return answer(request)
        }
        let ready = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in ready.continuation.yield(channel.localAddress?.port ?? 0) })
        task = Task { try await app.run() }
        for await port in ready.stream {
            self.port = port
            break
        }
    }

    func stop() { task?.cancel() }

    private func answer(_ request: Hummingbird.Request) -> Response {
        let path = request.uri.path
        var query: [String: String] = [:]
        for (k, v) in request.uri.queryParameters {
            query[String(k).removingPercentEncoding ?? String(k)] = String(v).removingPercentEncoding ?? String(v)
        }
        let after = query["starting_after"]
        let page = after.map { "\(path) after \($0)" } ?? path
        return lock.withLock {
            func reply(_ status: HTTPResponse.Status, _ body: String, headers: HTTPFields = [:]) -> Response {
                log.append(
                    Request(
                        path: path, startingAfter: after, status: status.code, query: query,
                        stripeVersion: request.headers[HTTPField.Name("Stripe-Version")!]))
                var fields = headers
                fields[.contentType] = "application/json"
                return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: body)))
            }
            guard request.headers[.authorization] == "Bearer \(key)" else {
                let shown = (request.headers[.authorization] ?? "").replacingOccurrences(of: "Bearer ", with: "")
                return reply(
                    .unauthorized,
                    #"{"error":{"message":"Invalid API Key provided: \#(shown.prefix(8))****\#(shown.suffix(4))","type":"invalid_request_error"}}"#
                )
            }
            if var queued = faults[page], !queued.isEmpty {
                let fault = queued.removeFirst()
                faults[page] = queued
                switch fault {
                case .tooManyRequests(let seconds):
                    return reply(
                        .tooManyRequests, #"{"error":{"message":"Too many requests","type":"rate_limit_error"}}"#,
                        headers: [HTTPField.Name("Retry-After")!: String(seconds)])
                case .serverError:
                    return reply(.internalServerError, #"{"error":{"message":"An unknown error occurred","type":"api_error"}}"#)
                case .forbidden(let permission):
                    return reply(
                        .forbidden,
                        #"{"error":{"message":"The provided key '\#(key.prefix(8))*****\#(key.suffix(4))' does not have the required permissions for this endpoint on account 'acct_1Fake'. Having the '\#(permission)' permission would allow this request to continue.","type":"invalid_request_error"}}"#
                    )
                }
            }
            guard let all = objects[path] else {
                return reply(.notFound, #"{"error":{"message":"Unrecognized request URL (GET: \#(path))","type":"invalid_request_error"}}"#)
            }
            let limit = Int(query["limit"] ?? "10") ?? 10
            let start = after.flatMap { id in all.firstIndex { Self.id(of: $0) == id }.map { $0 + 1 } } ?? 0
            let slice = all[min(start, all.count)..<min(start + limit, all.count)]
            let body =
                #"{"object":"list","data":[\#(slice.joined(separator: ","))],"has_more":\#(start + limit < all.count),"url":"\#(path)"}"#
            return reply(.ok, body)
        }
    }

    private static func id(of object: String) -> String? {
        (try? JSONSerialization.jsonObject(with: Data(object.utf8)) as? [String: Any])?["id"] as? String
    }
}
