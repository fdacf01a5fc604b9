import APICore
import Hummingbird
import MatrixProtocol
import Services

/// `/.well-known/matrix/client` and `/.well-known/matrix/server`, from config.
enum WellKnown {
    static func register(on routes: RouteTable, homeserver: Homeserver) {
        let config = homeserver.config
        routes.get("/.well-known/matrix/client") { _, _ in
            .json(["m.homeserver": ["base_url": .string(config.clientBaseURL)]])
        }
        routes.get("/.well-known/matrix/server") { _, _ in
            guard let delegated = config.wellKnown.server else {
                throw MatrixError.notFound("No server delegation is configured")
            }
            return .json(["m.server": .string(delegated.description)])
        }
    }
}
