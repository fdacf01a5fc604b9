import APICore
import Hummingbird
import MatrixProtocol
import Services

/// Synapse's admin API (`/_synapse/admin/...`), the part docs/admin-api.md lists as done.
enum AdminEndpoints {
    static let prefix = "/_synapse/admin"

    static func register(on routes: RouteTable, homeserver hs: Homeserver) {
        let admin = hs.admin
        /// An admin's request: authenticates, then checks the admin flag. In the global pool:
        /// listing users or rooms, or deleting a room, can take long, and admin requests are
        /// rare enough that the hop costs nothing worth keeping them on the clients' loop.
        func guarded(_ method: HTTPRequest.Method, _ path: String,
                     _ handler: @escaping @Sendable (Request, ApusRequestContext, Requester) async throws -> Response) {
            routes.on(method, prefix + path, RouteTable.inPool { request, context in
                let requester = try await hs.requester(request)
                try admin.requireAdmin(requester)
                return try await handler(request, context, requester)
            })
        }
        @Sendable func paging(_ request: Request) throws -> (from: Int, limit: Int) {
            let query = request.uri.queryParameters
            let from = Int(query.get("from") ?? "0") ?? -1
            let limit = Int(query.get("limit") ?? "100") ?? -1
            guard from >= 0 else { throw MatrixError.invalidParam("from must be a non-negative integer") }
            guard limit >= 0 else { throw MatrixError.invalidParam("limit must be a non-negative integer") }
            return (from, limit)
        }

        routes.get(prefix + "/v1/server_version") { _, _ in .json(["server_version": .string("\(Homeserver.name) \(Homeserver.version)")]) }
        routes.get(prefix + "/v1/register") { _, _ in .json(["nonce": .string(admin.newNonce())]) }
        routes.post(prefix + "/v1/register") { request, context in
            .json(try await admin.registerWithSharedSecret(try await request.jsonObject(context: context)))
        }

        guarded(.get, "/v2/users") { request, _, _ in
            let (from, limit) = try paging(request)
            let query = request.uri.queryParameters
            return .json(try await admin.users(from: from, limit: limit, name: query.get("name") ?? query.get("user_id"),
                                               guests: query.get("guests") != "false", deactivated: query.get("deactivated") == "true"))
        }
        guarded(.get, "/v2/users/:userID") { _, context, _ in .json(try await admin.user(try context.pathParameter("userID"))) }
        guarded(.put, "/v2/users/:userID") { request, context, _ in
            let (created, user) = try await admin.putUser(try context.pathParameter("userID"), body: try await request.jsonObject(context: context))
            return .json(user, status: created ? .created : .ok)
        }
        guarded(.get, "/v1/whois/:userID") { _, context, _ in .json(try await admin.whois(try context.pathParameter("userID"))) }
        guarded(.post, "/v1/deactivate/:userID") { _, context, _ in
            let userID = try context.pathParameter("userID")
            _ = try await admin.user(userID)
            try await hs.deactivateAccount(userID)
            return .json(["id_server_unbind_result": "success"])
        }

        guarded(.get, "/v1/rooms") { request, _, _ in
            let (from, limit) = try paging(request)
            return .json(try await admin.rooms(from: from, limit: limit))
        }
        guarded(.get, "/v1/rooms/:roomID") { _, context, _ in .json(try await admin.room(try context.pathParameter("roomID"))) }
        guarded(.get, "/v1/rooms/:roomID/members") { _, context, _ in .json(try await admin.roomMembers(try context.pathParameter("roomID"))) }
        guarded(.get, "/v1/rooms/:roomID/state") { _, context, _ in .json(try await admin.roomState(try context.pathParameter("roomID"))) }
        let deleteRoom: @Sendable (Request, ApusRequestContext, Requester) async throws -> Response = { request, context, requester in
            let body = try await request.jsonObject(context: context)
            return .json(try await admin.deleteRoom(try context.pathParameter("roomID"), purge: try body.optionalBool("purge") ?? true,
                                                    by: requester.userID))
        }
        guarded(.delete, "/v2/rooms/:roomID", deleteRoom)
        guarded(.delete, "/v1/rooms/:roomID", deleteRoom)
        guarded(.post, "/v1/purge_history/:roomID") { request, context, _ in
            .json(try await admin.purgeHistory(try context.pathParameter("roomID"), body: try await request.jsonObject(context: context)))
        }

        guarded(.get, "/v1/registration_tokens") { request, _, _ in
            let valid = request.uri.queryParameters.get("valid").map { $0 == "true" }
            return .json(try await admin.registrationTokens(valid: valid))
        }
        guarded(.post, "/v1/registration_tokens/new") { request, context, _ in
            .json(try await admin.createRegistrationToken(try await request.jsonObject(context: context)))
        }
        guarded(.get, "/v1/registration_tokens/:token") { _, context, _ in
            .json(try await admin.registrationToken(try context.pathParameter("token")))
        }
        guarded(.put, "/v1/registration_tokens/:token") { request, context, _ in
            .json(try await admin.updateRegistrationToken(try context.pathParameter("token"), body: try await request.jsonObject(context: context)))
        }
        guarded(.delete, "/v1/registration_tokens/:token") { _, context, _ in
            try await admin.deleteRegistrationToken(try context.pathParameter("token"))
            return .json([:])
        }

        guarded(.post, "/v1/send_server_notice") { request, context, _ in
            let body = try await request.jsonObject(context: context)
            guard let content = try body.optionalObject("content") else { throw MatrixError.missingParam("Missing 'content'") }
            let eventID = try await admin.sendServerNotice(to: try body.requiredString("user_id"),
                                                           type: try body.optionalString("type") ?? "m.room.message", content: content)
            return .json(["event_id": .string(eventID)])
        }
    }
}
