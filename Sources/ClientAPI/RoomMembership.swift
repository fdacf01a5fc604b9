import APICore
import Hummingbird
import MatrixProtocol
import Services

/// Joining, leaving, inviting, kicking, banning; `GET /joined_rooms`.
enum RoomMembership {
    static func register(on routes: RouteTable, homeserver hs: Homeserver) {
        let join: RouteTable.Handler = { request, context in
            let requester = try await hs.requester(request)
            let body = try await request.jsonObject(context: context)
            let target = try (try? context.pathParameter("roomIdOrAlias")) ?? context.pathParameter("roomID")
            // `server_name` is the older name of `via` (spec v1.12).
            let query = request.uri.queryParameters
            let via = (query.getAll("via") + query.getAll("server_name")).map { String($0) }
            let roomID = try await hs.rooms.join(target, user: requester.userID, reason: try body.optionalString("reason"), via: via)
            return .json(["room_id": .string(roomID)])
        }
        routes.client(.post, "/join/:roomIdOrAlias", join)
        routes.client(.post, "/rooms/:roomID/join", join)
        routes.client(.post, "/rooms/:roomID/leave") { request, context in
            let requester = try await hs.requester(request)
            let body = try await request.jsonObject(context: context)
            try await hs.rooms.leave(try context.pathParameter("roomID"), user: requester.userID, reason: try body.optionalString("reason"))
            return .json([:])
        }
        for (action, membership) in [("invite", "invite"), ("kick", "leave"), ("ban", "ban")] {
            routes.client(.post, "/rooms/:roomID/\(action)") { request, context in
                let requester = try await hs.requester(request)
                let body = try await request.jsonObject(context: context)
                try await hs.rooms.setMembership(membership, of: try body.requiredString("user_id"), in: try context.pathParameter("roomID"),
                                                 by: requester.userID, reason: try body.optionalString("reason"))
                return .json([:])
            }
        }
        routes.client(.post, "/rooms/:roomID/unban") { request, context in
            let requester = try await hs.requester(request)
            let body = try await request.jsonObject(context: context)
            try await hs.rooms.unban(try body.requiredString("user_id"), in: try context.pathParameter("roomID"),
                                     by: requester.userID, reason: try body.optionalString("reason"))
            return .json([:])
        }
        routes.client(.post, "/knock/:roomIdOrAlias") { request, context in
            let requester = try await hs.requester(request)
            let body = try await request.jsonObject(context: context)
            let query = request.uri.queryParameters
            let via = (query.getAll("via") + query.getAll("server_name")).map { String($0) }
            let roomID = try await hs.rooms.knock(try context.pathParameter("roomIdOrAlias"), user: requester.userID,
                                                  reason: try body.optionalString("reason"), via: via)
            return .json(["room_id": .string(roomID)])
        }
        routes.client(.post, "/rooms/:roomID/forget") { request, context in
            let requester = try await hs.requester(request)
            try await hs.rooms.forget(try context.pathParameter("roomID"), user: requester.userID)
            return .json([:])
        }
        routes.client(.get, "/joined_rooms") { request, _ in
            let requester = try await hs.requester(request)
            return .json(["joined_rooms": JSONValue(try await hs.rooms.joinedRooms(of: requester.userID))])
        }
    }
}
