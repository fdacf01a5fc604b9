import APICore
import Hummingbird
import MatrixProtocol

/// Applies `http.max_request_body_size`: refuses a declared oversized body before reading it, and
/// caps what handlers may read when the length is not declared.
struct BodyLimitMiddleware: RouterMiddleware {
    typealias Context = ApusRequestContext
    let limit: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit {
            throw MatrixError.tooLarge("Request body of \(declared) bytes is larger than the limit of \(limit)")
        }
        var context = context
        context.maxUploadSize = limit
        return try await next(request, context)
    }
}
