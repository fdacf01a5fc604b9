import APICore
import Hummingbird
import MatrixProtocol
import Services

/// Server-side key backups: `/room_keys/version[/{version}]` and `/room_keys/keys[/{roomId}[/{sessionId}]]`.
enum KeyBackupEndpoints {
    static func register(on routes: RouteTable, homeserver hs: Homeserver) {
        routes.client(.post, "/room_keys/version") { request, context in
            let requester = try await hs.requester(request)
            let version = try await hs.keyBackup.createVersion(requester, body: try await request.jsonObject(context: context))
            return .json(["version": .string(version)])
        }
        routes.client(.get, "/room_keys/version") { request, _ in
            .json(try await hs.keyBackup.version(try await hs.requester(request), nil))
        }
        routes.client(.get, "/room_keys/version/:version") { request, context in
            .json(try await hs.keyBackup.version(try await hs.requester(request), try context.pathParameter("version")))
        }
        routes.client(.put, "/room_keys/version/:version") { request, context in
            let requester = try await hs.requester(request)
            try await hs.keyBackup.updateVersion(requester, try context.pathParameter("version"),
                                                 body: try await request.jsonObject(context: context))
            return .json([:])
        }
        routes.client(.delete, "/room_keys/version/:version") { request, context in
            try await hs.keyBackup.deleteVersion(try await hs.requester(request), try context.pathParameter("version"))
            return .json([:])
        }
        for path in ["/room_keys/keys", "/room_keys/keys/:roomID", "/room_keys/keys/:roomID/:sessionID"] {
            routes.client(.put, path) { request, context in
                let requester = try await hs.requester(request)
                return .json(try await hs.keyBackup.putKeys(requester, version: request.uri.queryParameters.get("version"),
                                                            scope: try scope(context), body: try await request.jsonObject(context: context)))
            }
            routes.client(.get, path) { request, context in
                let requester = try await hs.requester(request)
                return .json(try await hs.keyBackup.getKeys(requester, version: request.uri.queryParameters.get("version"),
                                                            scope: try scope(context)))
            }
            routes.client(.delete, path) { request, context in
                let requester = try await hs.requester(request)
                return .json(try await hs.keyBackup.deleteKeys(requester, version: request.uri.queryParameters.get("version"),
                                                               scope: try scope(context)))
            }
        }
    }

    private static func scope(_ context: ApusRequestContext) throws(MatrixError) -> KeyBackup.Scope {
        KeyBackup.Scope(roomID: context.parameters.get("roomID") == nil ? nil : try context.pathParameter("roomID"),
                        sessionID: context.parameters.get("sessionID") == nil ? nil : try context.pathParameter("sessionID"))
    }
}
