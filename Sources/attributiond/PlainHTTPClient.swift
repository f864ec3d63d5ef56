import Foundation
import NIOCore
import NIOPosix

/// One HTTP POST of `send-test-events`: where, which headers, which bytes.
struct HTTPPost: Sendable {
    var url: URL
    var body: [UInt8]
    var headers: [(String, String)]
}

/// The status and body bytes of an answer.
struct HTTPAnswer: Sendable, Equatable {
    var status: Int
    var body: [UInt8]
}

/// Why a POST got no usable answer.
struct HTTPClientError: Error, CustomStringConvertible {
    var description: String
}

/// The smallest HTTP/1.1 client that the testing suite needs: one plain-text
/// POST per connection (`Connection: close`), the answer read to the end.
///
/// It runs on SwiftNIO, which the daemon links for its server anyway, so the
/// shipped binary carries no second HTTP stack (Foundation's URLSession would
/// bring libcurl and its TLS libraries in with it). No TLS: the suite talks to
/// a daemon on the same machine or network, behind whatever proxy ends TLS.
enum PlainHTTPClient {
    static func post(_ request: HTTPPost, timeout: Duration) async throws -> HTTPAnswer {
        guard request.url.scheme == "http", let host = request.url.host else {
            throw HTTPClientError(description: "only http:// URLs are supported")
        }
        let port = request.url.port ?? 80
        return try await withThrowingTaskGroup(of: HTTPAnswer.self) { group in
            group.addTask { try await exchange(request, host: host, port: port) }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw HTTPClientError(description: "no answer within \(timeout)")
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }

    private static func exchange(_ request: HTTPPost, host: String, port: Int) async throws -> HTTPAnswer {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(10))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let received = try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(bytes: requestBytes(request, host: host, port: port)))
            var bytes: [UInt8] = []
            for try await chunk in inbound {
                bytes += chunk.readableBytesView
                if bytes.count > 16 << 20 { throw HTTPClientError(description: "answer larger than 16 MiB") }
            }
            return bytes
        }
        return try parseAnswer(received)
    }

    static func requestBytes(_ request: HTTPPost, host: String, port: Int) -> [UInt8] {
        var path = request.url.path.isEmpty ? "/" : request.url.path
        if let query = request.url.query { path += "?" + query }
        let hostHeader = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        var head = "POST \(path) HTTP/1.1\r\nHost: \(hostHeader)\r\n"
        for (name, value) in request.headers { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(request.body.count)\r\nConnection: close\r\n\r\n"
        return Array(head.utf8) + request.body
    }

    /// Status line, headers and a body framed by Content-Length, chunked encoding, or the connection's end.
    static func parseAnswer(_ bytes: [UInt8]) throws -> HTTPAnswer {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard let headEnd = bytes.firstRange(of: separator) else {
            throw HTTPClientError(description: "connection closed before a complete answer (\(bytes.count) bytes)")
        }
        let headLines = String(decoding: bytes[..<headEnd.lowerBound], as: UTF8.self)
            .split(separator: "\r\n", omittingEmptySubsequences: false)
        let statusParts = headLines.first?.split(separator: " ") ?? []
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1."), let status = Int(statusParts[1]) else {
            throw HTTPClientError(description: "not an HTTP/1.x answer: \(headLines.first ?? "")")
        }
        var headers: [String: String] = [:]
        for line in headLines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Array(bytes[headEnd.upperBound...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" {
            body = try dechunk(body)
        } else if let length = headers["content-length"].flatMap(Int.init) {
            guard body.count >= length else {
                throw HTTPClientError(description: "answer cut short: \(body.count) of \(length) body bytes")
            }
            body = Array(body.prefix(length))
        }
        return HTTPAnswer(status: status, body: body)
    }

    private static func dechunk(_ bytes: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        var rest = bytes[...]
        let crlf: [UInt8] = [13, 10]
        while true {
            guard let lineEnd = rest.firstRange(of: crlf) else { throw HTTPClientError(description: "bad chunked body") }
            let sizeText = String(decoding: rest[..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                throw HTTPClientError(description: "bad chunk size")
            }
            rest = rest[lineEnd.upperBound...]
            if size == 0 { return out }
            guard rest.count >= size + 2 else { throw HTTPClientError(description: "chunked body cut short") }
            out += rest.prefix(size)
            rest = rest.dropFirst(size + 2)
        }
    }
}
