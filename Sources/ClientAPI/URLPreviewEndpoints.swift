import APICore
import Hummingbird
import MatrixProtocol
import Services

/// `GET /_matrix/client/v1/media/preview_url` and the deprecated `/_matrix/media/{v3,r0}/
/// preview_url`. Both need an access token (the spec never had an unauthenticated preview);
/// the legacy switch applies to what they store: a preview's image is media like an upload,
/// served on the unauthenticated download endpoints only while
/// `media.allow_legacy_unauthenticated` is on. With `media.url_preview_enabled` off they
/// answer 404 `M_UNRECOGNIZED`, before authentication, exactly like an unknown endpoint.
enum URLPreviewEndpoints {
    static func register(on routes: RouteTable, homeserver hs: Homeserver) {
        for path in ["/_matrix/client/v1/media/preview_url", "/_matrix/media/v3/preview_url", "/_matrix/media/r0/preview_url"] {
            routes.get(path) { request, _ in
                guard hs.urlPreviews.isEnabled else { throw URLPreviewer.disabled() }
                let requester = try await hs.requester(request)
                let query = request.uri.queryParameters
                guard let url = query.get("url"), !url.isEmpty else { throw MatrixError.missingParam("Missing 'url'") }
                var ts: Int64?
                if let raw = query.get("ts") {
                    guard let value = Int64(raw) else { throw MatrixError.invalidParam("'ts' must be an integer") }
                    ts = value
                }
                return .json(try await hs.urlPreviews.preview(url: url, ts: ts, owner: requester.userID))
            }
        }
    }
}
