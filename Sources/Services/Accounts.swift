import ApusConfig
import MatrixProtocol
import Sodium
import Store

/// Accounts, logins and devices (spec "Client Authentication", "Account registration and
/// management", "Device management").
public final class Accounts: Sendable {
    /// Tokens issued with `refresh_token: true` expire after this; clients then refresh.
    public static let refreshableTokenLifetime: Int64 = 5 * 60 * 1000

    /// What a successful registration or login hands the client.
    public struct Login: Sendable, Equatable {
        public let userID: String
        public let deviceID: String
        public let accessToken: String
        public let refreshToken: String?
        public let expiresInMs: Int64?
    }

    let config: ApusConfiguration
    let live: LiveSettings
    let database: Database
    let clock: Clock
    let hasher: PasswordHasher
    /// Told when deleted devices change device lists, so other users' syncs hear of it.
    let notifier: Notifier
    public let uia: UserInteractiveAuth

    init(config: ApusConfiguration, live: LiveSettings, database: Database, clock: Clock, hasher: PasswordHasher, notifier: Notifier) {
        self.config = config
        self.live = live
        self.database = database
        self.clock = clock
        self.hasher = hasher
        self.notifier = notifier
        self.uia = UserInteractiveAuth(clock: clock)
    }

    var serverName: String { config.serverName.description }

    // MARK: Registration

    /// The UIA flows registration asks for.
    public var registrationFlows: [[UserInteractiveAuth.Stage]] {
        live.registration.requireToken ? [[.registrationToken]] : [[.dummy]]
    }

    /// Checks a requested username: valid for a new user and not taken. Throws the spec's errors.
    public func checkUsernameAvailable(_ username: String) async throws -> String {
        let localpart = username.lowercased()
        guard UserID.isValidNewLocalpart(localpart) else {
            throw MatrixError.invalidUsername("User ID may only contain a-z, 0-9, and . _ = - / +")
        }
        guard (try? UserID(localpart: localpart, server: config.serverName)) != nil else {
            throw MatrixError.invalidUsername("User ID is too long")
        }
        if try await database.userExists(localpart: localpart) { throw MatrixError.userInUse() }
        return localpart
    }

    /// Creates an account and, unless `inhibitLogin`, a first device. Guests get a generated ID.
    public func register(localpart requested: String?, password: String?, deviceID: String?, displayName: String?,
                         inhibitLogin: Bool, wantsRefreshToken: Bool, guest: Bool) async throws -> (userID: String, login: Login?) {
        let now = clock.nowMillis()
        var localpart: String
        if let requested, !guest {
            localpart = try await checkUsernameAvailable(requested)
        } else {
            localpart = try await freshLocalpart()
        }
        let passwordHash: String? = if let password, !guest { try await hasher.hash(password) } else { nil }
        let userID = "@\(localpart):\(serverName)"
        do {
            try await database.createUser(userID: userID, localpart: localpart, passwordHash: passwordHash, isGuest: guest, now: now)
        } catch StoreError.alreadyExists {
            throw MatrixError.userInUse()
        }
        guard !inhibitLogin else { return (userID, nil) }
        let login = try await startSession(userID: userID, deviceID: deviceID, displayName: displayName,
                                           wantsRefreshToken: wantsRefreshToken, now: now)
        return (userID, login)
    }

    /// Generated localparts are numeric, like Synapse's, and never collide with a taken one.
    private func freshLocalpart() async throws -> String {
        while true {
            let candidate = String(UInt64.random(in: 100_000...999_999_999))
            if try await !database.userExists(localpart: candidate) { return candidate }
        }
    }

    public func consumeRegistrationToken(_ token: String) async throws -> Bool {
        try await database.consumeRegistrationToken(token, now: clock.nowMillis())
    }

    public func registrationTokenIsValid(_ token: String) async throws -> Bool {
        try await database.registrationTokenIsValid(token, now: clock.nowMillis())
    }

    // MARK: Login

    /// Resolves a login identifier (`@user:server` or a bare localpart) to a local user ID.
    public func userID(forLoginName name: String) -> String? {
        if name.hasPrefix("@") {
            guard let id = try? UserID(name), id.server == config.serverName else { return nil }
            return "@\(id.localpart.lowercased()):\(serverName)"
        }
        return "@\(name.lowercased()):\(serverName)"
    }

    /// Checks a password; the same error whether the user is unknown or the password wrong.
    public func verifyPassword(userID: String, password: String) async throws -> UserRecord {
        let invalid = MatrixError.forbidden("Invalid username or password")
        guard let user = try await database.user(userID) else { throw invalid }
        guard !user.deactivated else { throw MatrixError.userDeactivated() }
        guard let hash = user.passwordHash, await hasher.verify(password, hash: hash) else { throw invalid }
        return user
    }

    public func loginWithPassword(userID: String, password: String, deviceID: String?, displayName: String?,
                                  wantsRefreshToken: Bool) async throws -> Login {
        let user = try await verifyPassword(userID: userID, password: password)
        return try await startSession(userID: user.userID, deviceID: deviceID, displayName: displayName,
                                      wantsRefreshToken: wantsRefreshToken, now: clock.nowMillis())
    }

    private func startSession(userID: String, deviceID: String?, displayName: String?, wantsRefreshToken: Bool,
                              now: Int64) async throws -> Login {
        let device = deviceID ?? AccessTokens.deviceID()
        let access = AccessTokens.generate(prefix: "apa_")
        let refresh = wantsRefreshToken ? AccessTokens.generate(prefix: "apr_") : nil
        let expires = wantsRefreshToken ? now + Self.refreshableTokenLifetime : nil
        try await database.createSession(NewSession(
            userID: userID, deviceID: device, initialDisplayName: displayName, accessTokenHash: AccessTokens.hash(access),
            refreshTokenHash: refresh.map(AccessTokens.hash), expiresTS: expires, now: now))
        return Login(userID: userID, deviceID: device, accessToken: access, refreshToken: refresh,
                     expiresInMs: expires.map { $0 - now })
    }

    /// Exchanges a refresh token; `M_UNKNOWN_TOKEN` when it is unknown or used already.
    public func refresh(_ refreshToken: String) async throws -> Login {
        let now = clock.nowMillis()
        let access = AccessTokens.generate(prefix: "apa_"), refresh = AccessTokens.generate(prefix: "apr_")
        let expires = now + Self.refreshableTokenLifetime
        guard let owner = try await database.rotateRefreshToken(
            AccessTokens.hash(refreshToken), newAccessHash: AccessTokens.hash(access),
            newRefreshHash: AccessTokens.hash(refresh), expiresTS: expires, now: now)
        else { throw MatrixError.unknownToken() }
        return Login(userID: owner.userID, deviceID: owner.deviceID, accessToken: access, refreshToken: refresh,
                     expiresInMs: Self.refreshableTokenLifetime)
    }

    // MARK: Authentication of requests

    /// The requester behind an access token. An expired refreshable token is a soft logout.
    public func authenticate(accessToken: String?) async throws -> Requester {
        guard let accessToken, !accessToken.isEmpty else { throw MatrixError.missingToken() }
        let hash = AccessTokens.hash(accessToken)
        guard let session = try await database.session(accessTokenHash: hash) else { throw MatrixError.unknownToken() }
        if let expires = session.expiresTS, expires <= clock.nowMillis() { throw MatrixError.unknownToken(softLogout: true) }
        guard !session.deactivated else { throw MatrixError.unknownToken() }
        return Requester(userID: session.userID, deviceID: session.deviceID, isGuest: session.isGuest,
                         isAdmin: session.isAdmin, accessTokenHash: hash)
    }

    // MARK: Account and devices

    public func logout(_ requester: Requester) async throws {
        try await database.deleteDevices([requester.deviceID], of: requester.userID)
        try await devicesDeleted()
    }

    public func logoutAll(_ requester: Requester) async throws {
        try await database.deleteAllDevices(of: requester.userID)
        try await devicesDeleted()
    }

    public func changePassword(_ requester: Requester, newPassword: String, logoutDevices: Bool) async throws {
        try await database.setPasswordHash(try await hasher.hash(newPassword), userID: requester.userID)
        if logoutDevices {
            try await database.deleteAllDevices(of: requester.userID, keeping: requester.deviceID)
            try await devicesDeleted()
        }
    }

    /// Sets a password (admin reset); other sessions end when `logoutDevices`.
    public func setPassword(userID: String, password: String, logoutDevices: Bool) async throws {
        try await database.setPasswordHash(try await hasher.hash(password), userID: userID)
        if logoutDevices {
            _ = try await database.deleteAllDevices(of: userID)
            try await devicesDeleted()
        }
    }

    public func devices(of userID: String) async throws -> [DeviceRecord] {
        try await database.devices(of: userID)
    }

    public func device(_ deviceID: String, of userID: String) async throws -> DeviceRecord {
        guard let device = try await database.device(deviceID, of: userID) else {
            throw MatrixError.notFound("Unknown device")
        }
        return device
    }

    public func renameDevice(_ deviceID: String, of userID: String, to name: String?) async throws {
        guard try await database.setDeviceDisplayName(name, deviceID: deviceID, userID: userID) else {
            throw MatrixError.notFound("Unknown device")
        }
    }

    public func deleteDevices(_ deviceIDs: [String], of userID: String) async throws {
        try await database.deleteDevices(deviceIDs, of: userID)
        try await devicesDeleted()
    }

    /// Deleting devices records a device-list change in the same transaction; this wakes the
    /// syncs that should hear of it. Call it after any path that deletes devices in the store.
    public func devicesDeleted() async throws {
        notifier.advance(.deviceLists, to: try await database.currentDeviceListPosition())
    }

    /// The validator for UIA stages an operation by `user` (nil: registration) accepts.
    public func stageValidator(for user: String?) -> UserInteractiveAuth.StageValidator {
        { [self] stage, auth throws(MatrixError) in
            switch stage {
            case .dummy:
                return
            case .registrationToken:
                guard let token = auth["token"]?.stringValue else { throw MatrixError.missingParam("Missing 'token'") }
                let valid: Bool
                do { valid = try await registrationTokenIsValid(token) } catch { throw MatrixError.unknown("Database error") }
                guard valid else { throw MatrixError("M_UNAUTHORIZED", "Invalid registration token", status: 401) }
            case .password:
                guard let password = auth["password"]?.stringValue else { throw MatrixError.missingParam("Missing 'password'") }
                let name = auth["identifier"]?["user"]?.stringValue ?? auth["user"]?.stringValue ?? user
                guard let user, let name, userID(forLoginName: name) == user else {
                    throw MatrixError.forbidden("Authentication must be for the requesting user")
                }
                do { _ = try await verifyPassword(userID: user, password: password) } catch let e as MatrixError {
                    throw e
                } catch {
                    throw MatrixError.unknown("Database error")
                }
            }
        }
    }
}

extension Accounts {
    /// A short-lived session for a local tool (the admin CLI talking to the running server): a
    /// new device of `userID` whose token expires after `lifetimeMs`.
    public func toolSession(userID: String, lifetimeMs: Int64) async throws -> Login {
        let now = clock.nowMillis()
        let device = "APUS-CLI-" + AccessTokens.deviceID()
        let access = AccessTokens.generate(prefix: "apa_")
        try await database.createSession(NewSession(userID: userID, deviceID: device, initialDisplayName: "apus CLI",
                                                    accessTokenHash: AccessTokens.hash(access), refreshTokenHash: nil,
                                                    expiresTS: now + lifetimeMs, now: now))
        return Login(userID: userID, deviceID: device, accessToken: access, refreshToken: nil, expiresInMs: lifetimeMs)
    }
}
