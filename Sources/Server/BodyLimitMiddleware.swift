import APICore
import Hummingbird
import MatrixProtocol

/// Applies `http.max_request_body_size`: refuses a declared oversized body before reading it, and
/// caps what handlers may read when the length is not declared. Media uploads (`POST`/`PUT`
/// under `/_matrix/media/`) get `media.max_upload_size` instead; they stream to disk.
struct BodyLimitMiddleware: RouterMiddleware {
    typealias Context = ApusRequestContext
    let defaultLimit: Int
    let uploadLimit: Int

    init(limit: Int, uploadLimit: Int? = nil) {
        defaultLimit = limit
        self.uploadLimit = uploadLimit ?? limit
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let isUpload = (request.method == .post || request.method == .put) && request.uri.path.hasPrefix("/_matrix/media/")
        let limit = isUpload ? uploadLimit : defaultLimit
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit {
            throw MatrixError.tooLarge("Request body of \(declared) bytes is larger than the limit of \(limit)")
        }
        var context = context
        context.maxUploadSize = limit
        return try await next(request, context)
    }
}
