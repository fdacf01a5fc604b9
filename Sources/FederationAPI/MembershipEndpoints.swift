import APICore
import Hummingbird
import MatrixProtocol
import Services

/// make_join/send_join, make_leave/send_leave, make_knock/send_knock and invites.
enum MembershipEndpoints {
    static func register(on routes: RouteTable, homeserver: Homeserver) {
        let federation = homeserver.federation
        for membership in ["join", "leave", "knock"] {
            routes.federation(.get, "/_matrix/federation/v1/make_\(membership)/:roomID/:userID", homeserver: homeserver) { req in
                var versions = req.queryAll("ver")
                if versions.isEmpty && membership == "join" { versions = ["1"] }
                return .json(try await federation.makeMembership(membership, roomID: try req.path("roomID"), userID: try req.path("userID"),
                                                                 origin: req.origin, supportedVersions: versions))
            }
        }
        for (membership, version) in [("join", "v2"), ("leave", "v2"), ("knock", "v1")] {
            routes.federation(.put, "/_matrix/federation/\(version)/send_\(membership)/:roomID/:eventID", homeserver: homeserver) { req in
                .json(try await federation.sendMembership(membership, roomID: try req.path("roomID"), eventID: try req.path("eventID"),
                                                          origin: req.origin, event: req.body))
            }
        }
        routes.federation(.put, "/_matrix/federation/v2/invite/:roomID/:eventID", homeserver: homeserver) { req in
            .json(try await federation.receiveInvite(roomID: try req.path("roomID"), eventID: try req.path("eventID"),
                                                     origin: req.origin, body: req.body))
        }
    }
}
