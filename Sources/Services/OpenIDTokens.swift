import MatrixProtocol
import Store

/// OpenID tokens (spec "OpenID"): a user asks for one and hands it to a third party (an
/// integration manager, a widget), which checks it with our `openid/userinfo`.
extension Accounts {
    /// How long a token is valid, in seconds (`expires_in`).
    public static let openIDTokenLifetime: Int64 = 3600

    /// `POST /user/{userId}/openid/request_token`: only for oneself.
    public func requestOpenIDToken(for userID: String, requester: Requester) async throws -> JSONObject {
        guard userID == requester.userID else { throw MatrixError.forbidden("Cannot request an OpenID token for another user") }
        let token = AccessTokens.generate(prefix: "oid_")
        let now = clock.nowMillis()
        try await database.insertOpenIDToken(hash: AccessTokens.hash(token), userID: userID,
                                             expiresTS: now + Self.openIDTokenLifetime * 1000, now: now)
        return [
            "access_token": .string(token), "token_type": "Bearer",
            "matrix_server_name": .string(serverName), "expires_in": .int(Self.openIDTokenLifetime),
        ]
    }

    /// `GET /openid/userinfo`: whose token it is; `M_UNKNOWN_TOKEN` when unknown or expired.
    public func openIDUserInfo(token: String?) async throws -> JSONObject {
        guard let token, !token.isEmpty else { throw MatrixError.missingToken() }
        guard let userID = try await database.openIDTokenUser(hash: AccessTokens.hash(token), now: clock.nowMillis()) else {
            throw MatrixError("M_UNKNOWN_TOKEN", "OpenID token unknown or expired", status: 401)
        }
        return ["sub": .string(userID)]
    }
}
