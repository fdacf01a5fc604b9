import APICore
import Hummingbird
import MatrixProtocol
import Services

/// `POST /register` (user-interactive, guests with `kind=guest`) and `GET /register/available`.
enum Register {
    static func register(on routes: RouteTable, homeserver hs: Homeserver) {
        routes.client(.post, "/register") { request, context in
            let body = try await request.jsonObject(context: context)
            let kind = request.uri.queryParameters.get("kind") ?? "user"
            switch kind {
            case "guest": return try await registerGuest(body, hs: hs)
            case "user": return try await registerUser(body, hs: hs)
            default: throw MatrixError.invalidParam("Unknown kind '\(kind)'")
            }
        }
        routes.client(.get, "/register/available") { request, _ in
            guard let username = request.uri.queryParameters.get("username") else {
                throw MatrixError.missingParam("Missing 'username'")
            }
            guard hs.live.registration.enabled else { throw MatrixError.forbidden("Registration is disabled") }
            _ = try await hs.accounts.checkUsernameAvailable(username)
            return .json(["available": true])
        }
    }

    private static func registerUser(_ body: JSONObject, hs: Homeserver) async throws -> Response {
        guard hs.live.registration.enabled else { throw MatrixError.forbidden("Registration is disabled") }
        let username = try body.optionalString("username")
        let password = try body.optionalString("password")
        let deviceID = try body.optionalString("device_id")
        let displayName = try body.optionalString("initial_device_display_name")
        let inhibitLogin = try body.optionalBool("inhibit_login") ?? false
        let wantsRefresh = try body.optionalBool("refresh_token") ?? false
        let auth = try body.optionalObject("auth")
        // Refuse a bad or taken name before asking the client to authenticate.
        if let username { _ = try await hs.accounts.checkUsernameAvailable(username) }
        let outcome = try await hs.accounts.uia.authenticate(
            auth: auth, flows: hs.accounts.registrationFlows, operation: "register",
            validate: hs.accounts.stageValidator(for: nil))
        if let token = outcome.registrationToken, try await !hs.accounts.consumeRegistrationToken(token) {
            throw MatrixError("M_UNAUTHORIZED", "Invalid registration token", status: 401)
        }
        let (userID, login) = try await hs.accounts.register(
            localpart: username, password: password, deviceID: deviceID, displayName: displayName,
            inhibitLogin: inhibitLogin, wantsRefreshToken: wantsRefresh, guest: false)
        return .json(loginBody(userID: userID, login: login, hs: hs, includeWellKnown: false))
    }

    private static func registerGuest(_ body: JSONObject, hs: Homeserver) async throws -> Response {
        guard hs.live.registration.allowGuests else { throw MatrixError.forbidden("Guest access is disabled") }
        let displayName = try body.optionalString("initial_device_display_name")
        let (userID, login) = try await hs.accounts.register(
            localpart: nil, password: nil, deviceID: nil, displayName: displayName,
            inhibitLogin: false, wantsRefreshToken: try body.optionalBool("refresh_token") ?? false, guest: true)
        return .json(loginBody(userID: userID, login: login, hs: hs, includeWellKnown: false))
    }
}

/// The body of a registration or login response.
func loginBody(userID: String, login: Accounts.Login?, hs: Homeserver, includeWellKnown: Bool) -> JSONObject {
    var body: JSONObject = ["user_id": .string(userID), "home_server": .string(hs.serverName.description)]
    if let login {
        body["access_token"] = .string(login.accessToken)
        body["device_id"] = .string(login.deviceID)
        if let refresh = login.refreshToken { body["refresh_token"] = .string(refresh) }
        if let expires = login.expiresInMs { body["expires_in_ms"] = .int(expires) }
    }
    if includeWellKnown {
        body["well_known"] = ["m.homeserver": ["base_url": .string(hs.config.clientBaseURL)]]
    }
    return body
}
