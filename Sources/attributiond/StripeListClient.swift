import AsyncHTTPClient
import AttributionCore
import Foundation
import NIOCore

/// Reads pages of Stripe's list API for `backfill` with a restricted key.
///
/// Retries what Stripe asks to be retried (429, honouring `Retry-After`) and
/// what may pass (5xx, a lost connection) with exponential backoff and jitter;
/// a refused key (401, 403) stops at once with Stripe's reason, and never
/// with the key: Stripe's messages quote part of it, so every message is redacted.
struct StripeListClient {
    /// The API version the pages are read in; the worker reads older and newer shapes alike.
    static let stripeVersion = "2025-03-31.basil"

    let base: String
    let key: String
    var maxAttempts = 8
    var baseDelay: Duration = .milliseconds(500)
    var maxDelay: Duration = .seconds(30)
    /// Told about each retry, for the progress output.
    var onRetry: (String) -> Void = { _ in }

    /// The body of `GET path?query`, once Stripe answers 200.
    func page(_ path: String, query: [(String, String)]) async throws -> [UInt8] {
        var request = HTTPClientRequest(url: base + path + "?" + Self.encode(query))
        request.method = .GET
        request.headers.add(name: "Authorization", value: "Bearer \(key)")
        request.headers.add(name: "Stripe-Version", value: Self.stripeVersion)
        request.headers.add(name: "User-Agent", value: "attributiond/\(Version.current) backfill")
        var attempt = 0
        while true {
            attempt += 1
            let status: UInt
            let body: [UInt8]
            let retryAfter: String?
            do {
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
                status = response.status.code
                retryAfter = response.headers.first(name: "Retry-After")
                body = Array(try await response.body.collect(upTo: 64 << 20).readableBytesView)
            } catch {
                guard attempt < maxAttempts else {
                    throw RuntimeFailure(
                        message: "cannot read \(path) from \(base): \(redact("\(error)")) (gave up after \(attempt) attempts)")
                }
                let delay = backoff(attempt)
                onRetry("cannot reach \(base) (\(redact("\(error)"))); retrying \(path) in \(Self.seconds(delay))")
                try await Task.sleep(for: delay)
                continue
            }
            switch status {
            case 200: return body
            case 401, 403: throw RuntimeFailure(message: refusal(path, status: status, body: body))
            case 429, 500...599:
                guard attempt < maxAttempts else {
                    throw RuntimeFailure(
                        message:
                            "cannot read \(path): Stripe answered \(status) \(attempt) times; run backfill again later (it resumes where it stopped)"
                    )
                }
                let delay = retryAfter.flatMap(Double.init).map { Duration.milliseconds(Int64(min($0, 300) * 1000)) } ?? backoff(attempt)
                onRetry("Stripe answered \(status) for \(path); retrying in \(Self.seconds(delay))")
                try await Task.sleep(for: delay)
            default:
                throw RuntimeFailure(message: "cannot read \(path): Stripe answered \(status): \(message(body) ?? "no reason given")")
            }
        }
    }

    /// Base × 2^(attempt−1), capped, with jitter over its upper half so that clients retrying together spread out.
    private func backoff(_ attempt: Int) -> Duration {
        let full = min(baseDelay * (1 << min(attempt - 1, 20)), maxDelay)
        return full * Double.random(in: 0.5...1.0)
    }

    /// Why Stripe refused the key, naming the permission a restricted key lacks when Stripe says which.
    private func refusal(_ path: String, status: UInt, body: [UInt8]) -> String {
        let reason = message(body) ?? "no reason given"
        var text = "cannot read \(path): Stripe refused the API key (\(status)): \(reason)"
        if let permission = reason.firstMatch(of: /'(rak_[a-z0-9_]+)'/)?.1 {
            text +=
                "; the restricted key lacks the \(permission) permission: give it read access to \(path.dropFirst(4)) in the Stripe dashboard, then run backfill again (it resumes where it stopped)"
        } else if status == 401 {
            text += "; check the key in the --api-key-file"
        }
        return text
    }

    /// `error.message` of a Stripe error body, redacted.
    private func message(_ body: [UInt8]) -> String? {
        guard let json = try? JSONValue.parse(body), let text = json["error"]?["message"]?.string else { return nil }
        return redact(text)
    }

    /// The text with the key, and anything shaped like a Stripe key, replaced.
    func redact(_ text: String) -> String {
        var text = key.isEmpty ? text : text.replacingOccurrences(of: key, with: "[key]")
        text.replace(/\b(sk|rk|pk)_(test|live)_[A-Za-z0-9*]+/, with: "[key]")
        return text
    }

    static func encode(_ query: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return query.map { k, v in
            "\(k.addingPercentEncoding(withAllowedCharacters: allowed) ?? k)=\(v.addingPercentEncoding(withAllowedCharacters: allowed) ?? v)"
        }.joined(separator: "&")
    }

    static func seconds(_ d: Duration) -> String {
        String(format: "%.1f s", Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
    }
}
