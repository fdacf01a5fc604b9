import APICore
import Hummingbird
import MatrixProtocol
import Services

/// `GET/POST /login`, `POST /refresh`, `POST /logout`, `POST /logout/all`.
enum Login {
    static func register(on routes: RouteTable, homeserver hs: Homeserver) {
        routes.client(.get, "/login") { _, _ in
            .json(["flows": [["type": "m.login.password"]]])
        }
        routes.client(.post, "/login") { request, context in
            let body = try await request.jsonObject(context: context)
            let type = try body.requiredString("type")
            guard type == "m.login.password" else {
                throw MatrixError("M_UNKNOWN", "Unknown login type '\(type)'", status: 400)
            }
            let name = try loginName(body)
            let password = try body.requiredString("password")
            guard let userID = hs.accounts.userID(forLoginName: name) else {
                throw MatrixError.forbidden("Invalid username or password")
            }
            let login = try await hs.accounts.loginWithPassword(
                userID: userID, password: password, deviceID: try body.optionalString("device_id"),
                displayName: try body.optionalString("initial_device_display_name"),
                wantsRefreshToken: try body.optionalBool("refresh_token") ?? false)
            return .json(loginBody(userID: login.userID, login: login, hs: hs, includeWellKnown: true))
        }
        routes.on(.post, "/_matrix/client/v3/refresh") { request, context in
            let body = try await request.jsonObject(context: context)
            let login = try await hs.accounts.refresh(try body.requiredString("refresh_token"))
            var out: JSONObject = ["access_token": .string(login.accessToken)]
            if let refresh = login.refreshToken { out["refresh_token"] = .string(refresh) }
            if let expires = login.expiresInMs { out["expires_in_ms"] = .int(expires) }
            return .json(out)
        }
        routes.client(.post, "/logout") { request, _ in
            try await hs.accounts.logout(try await hs.requester(request))
            return .json([:])
        }
        routes.client(.post, "/logout/all") { request, _ in
            try await hs.accounts.logoutAll(try await hs.requester(request))
            return .json([:])
        }
    }

    /// The user named by `identifier` (`m.id.user`) or the legacy top-level `user`.
    static func loginName(_ body: JSONObject) throws(MatrixError) -> String {
        if let identifier = try body.optionalObject("identifier") {
            let type = try identifier.requiredString("type")
            guard type == "m.id.user" else {
                throw MatrixError("M_UNKNOWN", "Identifier type '\(type)' is not supported", status: 400)
            }
            return try identifier.requiredString("user")
        }
        if let user = try body.optionalString("user") { return user }
        throw MatrixError.missingParam("Missing 'identifier'")
    }
}
