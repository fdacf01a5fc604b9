import APICore
import Hummingbird
import Logging
import MatrixProtocol

/// Renders every error as Matrix JSON, once: `MatrixError` as itself, unknown paths as
/// 404 `M_UNRECOGNIZED`, known paths with the wrong method as 405 `M_UNRECOGNIZED`, and anything
/// unexpected as 500 `M_UNKNOWN` without leaking internals (the details go to the log).
struct MatrixErrorMiddleware: RouterMiddleware {
    typealias Context = ApusRequestContext
    let routes: RouteIndex

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as MatrixError {
            return .matrixError(error)
        } catch let error as HTTPError {
            return response(for: error, request: request, context: context)
        } catch {
            context.logger.error("Unhandled error", metadata: ["error": "\(String(reflecting: error))", "path": "\(request.uri.path)"])
            return .matrixError(.unknown("Internal server error"))
        }
    }

    private func response(for error: HTTPError, request: Request, context: Context) -> Response {
        switch error.status {
        case .notFound:
            let allowed = routes.allowedMethods(for: request.uri.path)
            if allowed.isEmpty {
                return .matrixError(.unrecognized())
            }
            var headers = HTTPFields()
            headers[.allow] = allowed.map(\.rawValue).joined(separator: ", ")
            return .matrixError(.unrecognized("Method \(request.method.rawValue) not allowed here", status: 405), headers: headers)
        case .contentTooLarge:
            return .matrixError(.tooLarge("Request body is too large"))
        default:
            let code = error.status.code
            let errcode = code == 400 ? "M_BAD_JSON" : "M_UNKNOWN"
            return .matrixError(MatrixError(errcode, error.body ?? error.status.reasonPhrase, status: code))
        }
    }
}
