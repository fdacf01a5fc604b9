import APICore
import Hummingbird
import MatrixProtocol
import Services

/// `GET /_matrix/key/v2/server`: our keys, self-signed. The deprecated `/{keyId}` form answers
/// the same document, as Synapse does.
enum KeyServer {
    static func register(on routes: RouteTable, homeserver: Homeserver) {
        let handler: RouteTable.Handler = { _, _ in
            .json(try homeserver.serverKeys.response(now: homeserver.clock.nowMillis()))
        }
        routes.get("/_matrix/key/v2/server", handler)
        routes.get("/_matrix/key/v2/server/:keyID", handler)
    }
}
