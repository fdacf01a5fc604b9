import APICore
import Hummingbird
import MatrixProtocol
import Services

/// `GET /_matrix/federation/v1/openid/userinfo`: asked by third parties (not homeservers), so it
/// is authenticated by the OpenID token alone, not X-Matrix.
enum OpenIDEndpoints {
    static func register(on routes: RouteTable, homeserver: Homeserver) {
        routes.get("/_matrix/federation/v1/openid/userinfo") { request, _ in
            .json(try await homeserver.accounts.openIDUserInfo(token: request.uri.queryParameters.get("access_token")))
        }
    }
}
