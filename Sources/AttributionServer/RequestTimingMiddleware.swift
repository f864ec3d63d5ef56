import Hummingbird
import Metrics

/// Records every request's duration by route and status (`attributiond_http_request_duration_seconds`).
struct RequestTimingMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var status = "500"
        defer {
            Timer(
                label: MetricName.httpDuration,
                dimensions: [("path", context.endpointPath ?? "unmatched"), ("status", status)]
            ).record(duration: ContinuousClock.now - start)
        }
        let response = try await next(request, context)
        status = String(response.status.code)
        return response
    }
}
