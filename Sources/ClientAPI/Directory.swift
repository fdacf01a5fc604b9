import APICore
import Hummingbird
import MatrixProtocol
import Services

/// `/directory/room/{alias}`, `/rooms/{roomId}/aliases`, `/directory/list/room/{roomId}`, `/publicRooms`.
enum Directory {
    static func register(on routes: RouteTable, homeserver hs: Homeserver) {
        routes.client(.put, "/directory/room/:alias") { request, context in
            let requester = try await hs.requester(request)
            let body = try await request.jsonObject(context: context)
            try await hs.rooms.createAlias(try context.pathParameter("alias"), roomID: try body.requiredString("room_id"), by: requester.userID)
            return .json([:])
        }
        routes.client(.get, "/directory/room/:alias") { _, context in
            let (roomID, servers) = try await hs.rooms.lookupAlias(try context.pathParameter("alias"))
            return .json(["room_id": .string(roomID), "servers": JSONValue(servers)])
        }
        routes.client(.delete, "/directory/room/:alias") { request, context in
            let requester = try await hs.requester(request)
            try await hs.rooms.deleteAlias(try context.pathParameter("alias"), by: requester)
            return .json([:])
        }
        routes.client(.get, "/rooms/:roomID/aliases") { request, context in
            let requester = try await hs.requester(request)
            return .json(["aliases": JSONValue(try await hs.rooms.aliases(of: try context.pathParameter("roomID"), for: requester.userID))])
        }
        routes.client(.get, "/directory/list/room/:roomID") { _, context in
            let published = try await hs.rooms.isPublished(try context.pathParameter("roomID"))
            return .json(["visibility": published ? "public" : "private"])
        }
        routes.client(.put, "/directory/list/room/:roomID") { request, context in
            let requester = try await hs.requester(request)
            let body = try await request.jsonObject(context: context)
            let visibility = try body.optionalString("visibility") ?? "public"
            guard visibility == "public" || visibility == "private" else {
                throw MatrixError.invalidParam("visibility must be 'public' or 'private'")
            }
            try await hs.rooms.setPublished(visibility == "public", roomID: try context.pathParameter("roomID"), by: requester.userID)
            return .json([:])
        }
        routes.clientInPool(.get, "/publicRooms") { request, _ in
            let query = request.uri.queryParameters
            if let server = query.get("server"), server != hs.serverName.description {
                return .json(try await hs.federation.queryPublicRooms(server: server, limit: query.get("limit").flatMap { Int($0) },
                                                                      since: query.get("since"), search: nil))
            }
            return .json(try await hs.rooms.publicRoomsPage(limit: query.get("limit"), since: query.get("since"), search: nil))
        }
        routes.clientInPool(.post, "/publicRooms") { request, context in
            _ = try await hs.requester(request)
            let body = try await request.jsonObject(context: context)
            let limit = try body["limit"].map { v throws(MatrixError) -> String in
                guard let n = v.intValue else { throw MatrixError.badJSON("'limit' must be an integer") }
                return String(n)
            }
            let search = try body.optionalObject("filter")?.optionalString("generic_search_term")
            if let server = request.uri.queryParameters.get("server"), server != hs.serverName.description {
                return .json(try await hs.federation.queryPublicRooms(server: server, limit: limit.flatMap { Int($0) },
                                                                      since: try body.optionalString("since"), search: search))
            }
            return .json(try await hs.rooms.publicRoomsPage(limit: limit, since: try body.optionalString("since"), search: search))
        }
    }

}
