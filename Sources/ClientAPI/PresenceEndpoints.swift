import APICore
import Hummingbird
import MatrixProtocol
import Services

/// `GET/PUT /presence/{userId}/status`.
enum PresenceEndpoints {
    static func register(on routes: RouteTable, homeserver hs: Homeserver) {
        routes.client(.put, "/presence/:userID/status") { request, context in
            let requester = try await hs.requester(request)
            guard try context.pathParameter("userID") == requester.userID else {
                throw MatrixError.forbidden("You cannot set the presence of another user")
            }
            let body = try await request.jsonObject(context: context)
            let text = try body.requiredString("presence")
            guard let state = Presence.State(rawValue: text) else { throw MatrixError.invalidParam("Unknown presence '\(text)'") }
            await hs.presence.set(requester.userID, state: state, statusMessage: try body.optionalString("status_msg"))
            return .json([:])
        }
        routes.client(.get, "/presence/:userID/status") { request, context in
            let requester = try await hs.requester(request)
            let userID = try context.pathParameter("userID")
            guard let user = try? UserID(userID) else { throw MatrixError.invalidParam("Invalid user ID") }
            if userID != requester.userID {
                // Presence is for people who share a room.
                guard user.server == hs.serverName, try await hs.database.user(userID) != nil else {
                    throw MatrixError.notFound("Unknown user")
                }
                let mine = Set(try await hs.rooms.joinedRooms(of: requester.userID))
                let theirs = Set(try await hs.rooms.joinedRooms(of: userID))
                guard !mine.isDisjoint(with: theirs) else { throw MatrixError.forbidden("You do not share a room with \(userID)") }
            }
            return .json(await hs.presence.status(of: userID))
        }
    }
}
