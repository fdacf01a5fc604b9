import APICore
import Hummingbird
import MatrixProtocol
import Services

/// `POST /_matrix/media/v3/upload`, `POST /_matrix/media/v1/create` and
/// `PUT /_matrix/media/v3/upload/{serverName}/{mediaId}`. Bodies stream to disk; the server's
/// body-limit middleware lets these paths through up to `media.max_upload_size`, which the
/// media store enforces again while reading (an undeclared length cannot slip past it).
enum MediaUpload {
    static func register(on routes: RouteTable, homeserver hs: Homeserver) {
        for version in ["v3", "r0"] {
            routes.post("/_matrix/media/\(version)/upload") { request, _ in
                let requester = try await hs.requester(request)
                let uri = try await hs.media.upload(request.body, contentType: request.headers[.contentType],
                                                    filename: request.uri.queryParameters.get("filename"), uploader: requester)
                return .json(["content_uri": .string(uri.description)])
            }
            routes.put("/_matrix/media/\(version)/upload/:serverName/:mediaID") { request, context in
                let requester = try await hs.requester(request)
                try await hs.media.upload(request.body, server: try context.pathParameter("serverName"),
                                          mediaID: try context.pathParameter("mediaID"),
                                          contentType: request.headers[.contentType],
                                          filename: request.uri.queryParameters.get("filename"), uploader: requester)
                return .json([:])
            }
        }
        routes.post("/_matrix/media/v1/create") { request, _ in
            let requester = try await hs.requester(request)
            let created = try await hs.media.create(for: requester)
            return .json(["content_uri": .string(created.uri.description), "unused_expires_at": .int(created.expiresAt)])
        }
    }
}
