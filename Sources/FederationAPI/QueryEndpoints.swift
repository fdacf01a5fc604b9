import APICore
import Hummingbird
import MatrixProtocol
import Services

/// `query/directory` and `query/profile`.
enum QueryEndpoints {
    static func register(on routes: RouteTable, homeserver: Homeserver) {
        routes.federation(.get, "/_matrix/federation/v1/query/directory", homeserver: homeserver) { req in
            guard let alias = req.query("room_alias") else { throw MatrixError.missingParam("Missing 'room_alias'") }
            return .json(try await homeserver.federation.serveDirectoryQuery(alias: alias))
        }
        routes.federation(.get, "/_matrix/federation/v1/publicRooms", homeserver: homeserver) { req in
            .json(try await homeserver.rooms.publicRoomsPage(limit: req.query("limit"), since: req.query("since"), search: nil))
        }
        routes.federation(.post, "/_matrix/federation/v1/publicRooms", homeserver: homeserver) { req in
            let limit = try req.body["limit"].map { v throws(MatrixError) -> String in
                guard let n = v.intValue else { throw MatrixError.badJSON("'limit' must be an integer") }
                return String(n)
            }
            let search = try req.body.optionalObject("filter")?.optionalString("generic_search_term")
            return .json(try await homeserver.rooms.publicRoomsPage(limit: limit, since: try req.body.optionalString("since"), search: search))
        }
        routes.federation(.get, "/_matrix/federation/v1/query/profile", homeserver: homeserver) { req in
            guard let userID = req.query("user_id") else { throw MatrixError.missingParam("Missing 'user_id'") }
            guard let user = try? UserID(userID), user.server == homeserver.serverName else {
                throw MatrixError.notFound("User not found")
            }
            let profile = try await homeserver.profiles.profile(of: userID)
            let field = req.query("field")
            if let field, field != "displayname", field != "avatar_url" { throw MatrixError.invalidParam("Unknown field '\(field)'") }
            var body = JSONObject()
            if field == nil || field == "displayname", let name = profile.displayname { body["displayname"] = .string(name) }
            if field == nil || field == "avatar_url", let avatar = profile.avatarURL { body["avatar_url"] = .string(avatar) }
            return .json(body)
        }
    }
}
