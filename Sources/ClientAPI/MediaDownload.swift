import APICore
import Hummingbird
import MatrixProtocol
import Services

/// Downloads, thumbnails and the media config: the authenticated endpoints under
/// `/_matrix/client/v1/media`, and the deprecated unauthenticated ones under
/// `/_matrix/media/{v3,r0}`, which serve only media uploaded while
/// `media.allow_legacy_unauthenticated` was on (the spec's "freeze"). `/preview_url` is in
/// `URLPreviewEndpoints.swift`.
enum MediaDownload {
    static func register(on routes: RouteTable, homeserver hs: Homeserver) {
        let authed = "/_matrix/client/v1/media"
        routes.get("\(authed)/config") { request, _ in
            _ = try await hs.requester(request)
            return config(hs)
        }
        routes.get("\(authed)/download/:serverName/:mediaID") { request, context in
            _ = try await hs.requester(request)
            return try await download(hs, request, context, legacy: false, filename: nil)
        }
        routes.get("\(authed)/download/:serverName/:mediaID/:fileName") { request, context in
            _ = try await hs.requester(request)
            return try await download(hs, request, context, legacy: false, filename: try context.pathParameter("fileName"))
        }
        routes.get("\(authed)/thumbnail/:serverName/:mediaID") { request, context in
            _ = try await hs.requester(request)
            return try await thumbnail(hs, request, context, legacy: false)
        }
        for legacy in ["/_matrix/media/v3", "/_matrix/media/r0"] {
            routes.get("\(legacy)/config") { request, _ in
                _ = try await hs.requester(request)
                return config(hs)
            }
            routes.get("\(legacy)/download/:serverName/:mediaID") { request, context in
                try await download(hs, request, context, legacy: true, filename: nil)
            }
            routes.get("\(legacy)/download/:serverName/:mediaID/:fileName") { request, context in
                try await download(hs, request, context, legacy: true, filename: try context.pathParameter("fileName"))
            }
            routes.get("\(legacy)/thumbnail/:serverName/:mediaID") { request, context in
                try await thumbnail(hs, request, context, legacy: true)
            }
        }
    }

    static func config(_ hs: Homeserver) -> Response {
        .json(["m.upload.size": .int(Int64(hs.media.maxUploadSize))])
    }

    static func download(_ hs: Homeserver, _ request: Request, _ context: ApusRequestContext, legacy: Bool,
                         filename: String?) async throws -> Response {
        let content = try await hs.media.download(server: try context.pathParameter("serverName"),
                                                  mediaID: try context.pathParameter("mediaID"), legacy: legacy,
                                                  timeoutMillis: try MediaQuery.timeout(request))
        return MediaResponse.file(content.body, contentLength: content.size, contentType: content.contentType,
                                  disposition: MediaResponse.contentDisposition(contentType: content.contentType,
                                                                                filename: filename ?? content.filename))
    }

    static func thumbnail(_ hs: Homeserver, _ request: Request, _ context: ApusRequestContext, legacy: Bool) async throws -> Response {
        let query = try MediaQuery.thumbnail(request)
        let content = try await hs.media.thumbnail(server: try context.pathParameter("serverName"),
                                                   mediaID: try context.pathParameter("mediaID"), width: query.width,
                                                   height: query.height, method: query.method, legacy: legacy,
                                                   timeoutMillis: try MediaQuery.timeout(request))
        return MediaResponse.file(content.body, contentLength: content.size, contentType: content.contentType,
                                  disposition: MediaQuery.thumbnailDisposition(content.contentType))
    }
}
