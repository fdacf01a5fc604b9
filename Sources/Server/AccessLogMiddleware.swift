import APICore
import Hummingbird
import Logging

/// One line per request: method, path (never the query string, which may carry an access
/// token), status, duration and remote address.
struct AccessLogMiddleware: RouterMiddleware {
    typealias Context = ApusRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let elapsed = ContinuousClock.now - start
        let ms = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
        context.logger.info("\(request.method.rawValue) \(request.uri.path) \(response.status.code)", metadata: [
            "ms": "\((ms * 10).rounded() / 10)",
            "remote": "\(context.remoteAddress?.ipAddress ?? "-")",
        ])
        return response
    }
}
