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
        routes.client(.get, "/publicRooms") { request, _ in
            let query = request.uri.queryParameters
            if let server = query.get("server"), server != hs.serverName.description {
                throw MatrixError("M_UNRECOGNIZED", "Querying other servers' directories needs federation, not built yet", status: 400)
            }
            return .json(try await page(hs: hs, limit: query.get("limit"), since: query.get("since"), search: nil))
        }
        routes.client(.post, "/publicRooms") { request, context in
            _ = try await hs.requester(request)
            let body = try await request.jsonObject(context: context)
            if let server = request.uri.queryParameters.get("server"), server != hs.serverName.description {
                throw MatrixError("M_UNRECOGNIZED", "Querying other servers' directories needs federation, not built yet", status: 400)
            }
            let limit = try body["limit"].map { v throws(MatrixError) -> String in
                guard let n = v.intValue else { throw MatrixError.badJSON("'limit' must be an integer") }
                return String(n)
            }
            let search = try body.optionalObject("filter")?.optionalString("generic_search_term")
            return .json(try await page(hs: hs, limit: limit, since: try body.optionalString("since"), search: search))
        }
    }

    /// A page of the directory; `since`/`next_batch` are offsets written `o<n>`.
    static func page(hs: Homeserver, limit: String?, since: String?, search: String?) async throws -> JSONObject {
        var entries = try await hs.rooms.publicRooms()
        if let term = search?.lowercased(), !term.isEmpty {
            entries = entries.filter { e in
                [e.name, e.topic, e.canonicalAlias].contains { $0?.lowercased().contains(term) == true }
            }
        }
        var offset = 0
        if let since {
            guard since.hasPrefix("o"), let n = Int(since.dropFirst()), n >= 0 else { throw MatrixError.invalidParam("Invalid since token") }
            offset = n
        }
        var count = entries.count
        if let limit {
            guard let n = Int(limit), n > 0 else { throw MatrixError.invalidParam("limit must be a positive integer") }
            count = n
        }
        let slice = entries.dropFirst(offset).prefix(count)
        var body: JSONObject = [
            "chunk": .array(slice.map { e in
                var o: JSONObject = [
                    "room_id": .string(e.roomID), "num_joined_members": .int(Int64(e.joinedMembers)),
                    "world_readable": .bool(e.worldReadable), "guest_can_join": .bool(e.guestCanJoin), "join_rule": .string(e.joinRule),
                ]
                if let v = e.name { o["name"] = .string(v) }
                if let v = e.topic { o["topic"] = .string(v) }
                if let v = e.canonicalAlias { o["canonical_alias"] = .string(v) }
                if let v = e.avatarURL { o["avatar_url"] = .string(v) }
                if let v = e.roomType { o["room_type"] = .string(v) }
                return .object(o)
            }),
            "total_room_count_estimate": .int(Int64(entries.count)),
        ]
        if offset + slice.count < entries.count { body["next_batch"] = .string("o\(offset + slice.count)") }
        if offset > 0 { body["prev_batch"] = .string("o\(max(0, offset - count))") }
        return body
    }
}
