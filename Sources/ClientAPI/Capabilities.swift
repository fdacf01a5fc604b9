import APICore
import Hummingbird
import MatrixProtocol
import Services

/// `GET /capabilities`: what this server lets the user change.
enum Capabilities {
    static func register(on routes: RouteTable, homeserver hs: Homeserver) {
        routes.client(.get, "/capabilities") { request, _ in
            _ = try await hs.requester(request)
            var versions = JSONObject()
            for v in RoomVersion.all { versions[v.id] = "stable" }
            return .json(["capabilities": [
                "m.change_password": ["enabled": true],
                "m.room_versions": ["default": .string(RoomVersion.defaultForNewRooms), "available": .object(versions)],
                "m.set_displayname": ["enabled": true],
                "m.set_avatar_url": ["enabled": true],
                // Third-party identifiers and login tokens are not built.
                "m.3pid_changes": ["enabled": false],
                "m.get_login_token": ["enabled": false],
            ]])
        }
    }
}
