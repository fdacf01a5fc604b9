import APICore
import Hummingbird
import MatrixProtocol
import Services

/// `GET /_matrix/federation/v1/version`.
enum Version {
    static func register(on routes: RouteTable) {
        routes.get("/_matrix/federation/v1/version") { _, _ in
            .json(["server": ["name": .string(Homeserver.name), "version": .string(Homeserver.version)]])
        }
    }
}
