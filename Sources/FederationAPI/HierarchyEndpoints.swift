import APICore
import Hummingbird
import MatrixProtocol
import Services

/// `GET /_matrix/federation/v1/hierarchy/{roomId}`.
enum HierarchyEndpoints {
    static func register(on routes: RouteTable, homeserver: Homeserver) {
        routes.federation(.get, "/_matrix/federation/v1/hierarchy/:roomID", homeserver: homeserver) { req in
            .json(try await homeserver.federation.serveHierarchy(
                roomID: try req.path("roomID"), origin: req.origin,
                suggestedOnly: try QueryFlag.parse(req.query("suggested_only"), name: "suggested_only")))
        }
    }
}
