import APICore
import Hummingbird
import MatrixProtocol
import Services

/// `POST /user/{userId}/openid/request_token`.
enum OpenID {
    static func register(on routes: RouteTable, homeserver hs: Homeserver) {
        routes.client(.post, "/user/:userID/openid/request_token") { request, context in
            let requester = try await hs.requester(request)
            _ = try await request.jsonObject(context: context)
            return .json(try await hs.accounts.requestOpenIDToken(for: try context.pathParameter("userID"), requester: requester))
        }
    }
}
