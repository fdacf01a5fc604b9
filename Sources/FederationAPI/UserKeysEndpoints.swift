import APICore
import Hummingbird
import MatrixProtocol
import Services

/// `user/keys/query`, `user/keys/claim`, `user/devices/{userId}`: our users' E2EE keys for other servers.
enum UserKeysEndpoints {
    static func register(on routes: RouteTable, homeserver: Homeserver) {
        let federation = homeserver.federation
        routes.federation(.post, "/_matrix/federation/v1/user/keys/query", homeserver: homeserver) { req in
            .json(try await federation.serveKeysQuery(body: req.body, keys: homeserver.e2eeKeys))
        }
        routes.federation(.post, "/_matrix/federation/v1/user/keys/claim", homeserver: homeserver) { req in
            .json(try await federation.serveKeysClaim(body: req.body, keys: homeserver.e2eeKeys))
        }
        routes.federation(.get, "/_matrix/federation/v1/user/devices/:userID", homeserver: homeserver) { req in
            .json(try await federation.serveUserDevices(userID: try req.path("userID")))
        }
    }
}
