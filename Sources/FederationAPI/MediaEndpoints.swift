import APICore
import Hummingbird
import MatrixProtocol
import Services

/// `GET /_matrix/federation/v1/media/download/{mediaId}` and `/thumbnail/{mediaId}`: our own
/// media for other servers, as `multipart/mixed` (a JSON metadata part, `{}`, then the bytes).
/// Requests are X-Matrix authenticated like every federation route. Fetching *remote* media
/// (the client side) is `MediaRepository.storedMedia`'s TODO.
enum MediaEndpoints {
    static func register(on routes: RouteTable, homeserver hs: Homeserver) {
        routes.federation(.get, "/_matrix/federation/v1/media/download/:mediaID", homeserver: hs) { request in
            let content = try await hs.media.downloadForFederation(mediaID: try request.path("mediaID"),
                                                                   timeoutMillis: try MediaQuery.timeout(request.request))
            return multipart(content, disposition: MediaResponse.contentDisposition(contentType: content.contentType,
                                                                                    filename: content.filename))
        }
        routes.federation(.get, "/_matrix/federation/v1/media/thumbnail/:mediaID", homeserver: hs) { request in
            let query = try MediaQuery.thumbnail(request.request)
            let content = try await hs.media.thumbnailForFederation(mediaID: try request.path("mediaID"), width: query.width,
                                                                    height: query.height, method: query.method,
                                                                    timeoutMillis: try MediaQuery.timeout(request.request))
            return multipart(content, disposition: MediaQuery.thumbnailDisposition(content.contentType))
        }
    }

    static func multipart(_ content: MediaContent, disposition: String) -> Response {
        MediaResponse.multipart(content.body, contentLength: content.size, contentType: content.contentType,
                                disposition: disposition, boundary: boundary())
    }

    /// A random boundary: 128 bits make a collision with the content's bytes negligible.
    static func boundary() -> String {
        (0..<2).map { _ in String(UInt64.random(in: .min ... .max), radix: 16) }.joined(separator: "-")
    }
}
