import APICore
import Hummingbird

/// CORS as the Client-Server API requires (spec "Web Browser Clients"): every response carries
/// the allow headers, and preflight `OPTIONS` is answered here for any path.
struct MatrixCORSMiddleware: RouterMiddleware {
    typealias Context = ApusRequestContext
    /// `["*"]` allows every origin; otherwise the exact origins listed.
    let allowedOrigins: [String]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let origin = request.headers[.origin]
        var response: Response
        if request.method == .options {
            response = Response(status: .ok, headers: [.contentLength: "0"])
        } else {
            response = try await next(request, context)
        }
        apply(to: &response, origin: origin)
        return response
    }

    private func apply(to response: inout Response, origin: String?) {
        if allowedOrigins.contains("*") {
            response.headers[.accessControlAllowOrigin] = "*"
        } else if let origin, allowedOrigins.contains(origin) {
            response.headers[.accessControlAllowOrigin] = origin
            response.addVary("Origin")
        } else {
            return
        }
        response.headers[.accessControlAllowMethods] = "GET, HEAD, POST, PUT, DELETE, OPTIONS"
        response.headers[.accessControlAllowHeaders] = "X-Requested-With, Content-Type, Authorization"
    }
}

extension Response {
    /// Adds a token to `Vary`, keeping what other middleware put there.
    mutating func addVary(_ token: String) {
        if let existing = headers[.vary], !existing.isEmpty {
            headers[.vary] = existing + ", " + token
        } else {
            headers[.vary] = token
        }
    }
}
