import APICore
import Hummingbird
import MatrixProtocol

/// `GET /_matrix/client/versions` (no auth).
enum Versions {
    /// Spec versions we advertise: v1.1 through v1.19, the release Apus targets.
    static let supported: [String] = (1...19).map { "v1.\($0)" }

    static func register(on routes: RouteTable) {
        routes.get("/_matrix/client/versions") { _, _ in
            .json([
                "versions": JSONValue(supported),
                "unstable_features": .object(JSONObject()),
            ])
        }
    }
}
