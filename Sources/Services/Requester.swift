import MatrixProtocol

/// The authenticated user and device behind a request.
public struct Requester: Sendable, Equatable {
    public let userID: String
    public let deviceID: String
    public let isGuest: Bool
    public let isAdmin: Bool
    /// Hash of the access token used, so logout can revoke exactly it.
    public let accessTokenHash: [UInt8]
}

/// The errors of the Client-Server API's account flows, in one place.
extension MatrixError {
    public static func missingToken() -> MatrixError {
        MatrixError("M_MISSING_TOKEN", "Missing access token", status: 401)
    }
    public static func unknownToken(softLogout: Bool = false) -> MatrixError {
        MatrixError("M_UNKNOWN_TOKEN", "Unknown or expired access token", status: 401, extra: ["soft_logout": .bool(softLogout)])
    }
    public static func userInUse() -> MatrixError { MatrixError("M_USER_IN_USE", "User ID already taken", status: 400) }
    public static func invalidUsername(_ why: String) -> MatrixError { MatrixError("M_INVALID_USERNAME", why, status: 400) }
    public static func userDeactivated() -> MatrixError { MatrixError("M_USER_DEACTIVATED", "This account has been deactivated", status: 403) }
    public static func guestAccessForbidden() -> MatrixError {
        MatrixError("M_GUEST_ACCESS_FORBIDDEN", "Guest accounts cannot use this endpoint", status: 403)
    }
}
