import ApusConfig
import Foundation
import MatrixProtocol
import Sodium
import Store
import Synchronization

/// What the admin API and CLI do (Synapse's admin API where it exists, so synadm and
/// synapse-admin work): users, rooms, registration tokens, server notices, shared-secret
/// registration. Every entry point but shared-secret registration requires an admin.
public final class Admin: Sendable {
    let homeserver: HomeserverLink
    /// Shared-secret registration nonces, valid for a minute, usable once.
    private let nonces = Mutex<[String: Int64]>([:])

    init(homeserver: HomeserverLink) { self.homeserver = homeserver }

    var hs: Homeserver { homeserver.get() }

    public func requireAdmin(_ requester: Requester) throws {
        guard requester.isAdmin else { throw MatrixError.forbidden("You are not a server admin") }
    }

    // MARK: Shared-secret registration (`/_synapse/admin/v1/register`)

    public func newNonce() -> String {
        let nonce = SecureRandom.alphanumeric(32)
        let now = hs.clock.nowMillis()
        nonces.withLock { table in
            table = table.filter { $0.value > now }
            table[nonce] = now + 60_000
        }
        return nonce
    }

    /// Registers with the HMAC-SHA1 of `nonce\0username\0password\0admin|notadmin` keyed by
    /// the configured shared secret.
    public func registerWithSharedSecret(_ body: JSONObject) async throws -> JSONObject {
        let secret = hs.live.registration.sharedSecret
        guard !secret.isEmpty else { throw MatrixError.badJSON("Shared secret registration is not enabled") .withStatus(400) }
        let nonce = try body.requiredString("nonce")
        let username = try body.requiredString("username")
        let password = try body.requiredString("password")
        let admin = try body.optionalBool("admin") ?? false
        let mac = try body.requiredString("mac")
        let now = hs.clock.nowMillis()
        let valid = nonces.withLock { table -> Bool in
            guard let expiry = table.removeValue(forKey: nonce) else { return false }
            return expiry > now
        }
        guard valid else { throw MatrixError("M_UNKNOWN", "unrecognised nonce", status: 400) }
        let message = Array(nonce.utf8) + [0] + Array(username.utf8) + [0] + Array(password.utf8) + [0] + Array((admin ? "admin" : "notadmin").utf8)
        let expected = HMAC.hex(HMAC.sha1(key: Array(secret.utf8), message: message))
        guard HMAC.equal(Array(expected.utf8), Array(mac.lowercased().utf8)) else { throw MatrixError.forbidden("HMAC incorrect") }
        let (userID, login) = try await hs.accounts.register(localpart: username, password: password, deviceID: nil,
                                                            displayName: try body.optionalString("displayname"), inhibitLogin: false,
                                                            wantsRefreshToken: false, guest: false)
        if admin { try await hs.database.setAdmin(true, userID: userID) }
        if let name = try body.optionalString("displayname") { try await hs.profiles.setProfileField(.displayname, to: name, userID: userID) }
        var answer: JSONObject = ["user_id": .string(userID), "home_server": .string(hs.serverName.description)]
        if let login {
            answer["access_token"] = .string(login.accessToken)
            answer["device_id"] = .string(login.deviceID)
        }
        return answer
    }

    // MARK: Users

    public func users(from: Int, limit: Int, name: String?, guests: Bool, deactivated: Bool) async throws -> JSONObject {
        let (users, total) = try await hs.database.adminUsers(from: from, limit: limit, name: name, guests: guests, deactivated: deactivated)
        var answer: JSONObject = ["users": .array(users.map { .object(Self.userJSON($0)) }), "total": .int(Int64(total))]
        if from + users.count < total { answer["next_token"] = .string(String(from + users.count)) }
        return answer
    }

    public func user(_ userID: String) async throws -> JSONObject {
        guard let user = try await hs.database.adminUser(userID) else { throw MatrixError.notFound("User not found") }
        var json = Self.userJSON(user)
        json["threepids"] = []
        json["external_ids"] = []
        return json
    }

    static func userJSON(_ user: AdminUser) -> JSONObject {
        var json: JSONObject = [
            "name": .string(user.user.userID), "admin": .bool(user.user.isAdmin), "is_guest": .bool(user.user.isGuest),
            "deactivated": .bool(user.user.deactivated), "creation_ts": .int(user.user.createdTS / 1000),
            "user_type": .null, "shadow_banned": false,
        ]
        json["displayname"] = user.displayname.map(JSONValue.string) ?? .null
        json["avatar_url"] = user.avatarURL.map(JSONValue.string) ?? .null
        return json
    }

    /// `PUT /v2/users/{userId}`: creates the user (201) or changes it (200): password,
    /// displayname, avatar_url, admin, deactivated.
    public func putUser(_ userID: String, body: JSONObject) async throws -> (created: Bool, user: JSONObject) {
        guard let id = try? UserID(userID), id.server == hs.serverName else {
            throw MatrixError.invalidParam("This server can only manage its own users")
        }
        let password = try body.optionalString("password")
        if let password, password.utf8.count > 512 { throw MatrixError.invalidParam("Password too long") }
        let admin = try body.optionalBool("admin")
        let deactivated = try body.optionalBool("deactivated")
        let displayname = try body.optionalString("displayname")
        let avatar = try body.optionalString("avatar_url")
        let logout = try body.optionalBool("logout_devices") ?? true
        var created = false
        if try await hs.database.adminUser(userID) == nil {
            _ = try await hs.accounts.register(localpart: id.localpart, password: password, deviceID: nil, displayName: nil,
                                               inhibitLogin: true, wantsRefreshToken: false, guest: false)
            created = true
        } else if let password {
            try await hs.accounts.setPassword(userID: userID, password: password, logoutDevices: logout)
        }
        if let admin { try await hs.database.setAdmin(admin, userID: userID) }
        if let displayname { try await hs.profiles.setProfileField(.displayname, to: displayname, userID: userID) }
        if let avatar { try await hs.profiles.setProfileField(.avatarURL, to: avatar, userID: userID) }
        if deactivated == true { try await hs.deactivateAccount(userID) }
        if deactivated == false {
            guard password != nil || created else { throw MatrixError.invalidParam("Reactivating a user needs a password") }
            try await hs.database.reactivateUser(userID)
        }
        return (created, try await user(userID))
    }

    public func whois(_ userID: String) async throws -> JSONObject {
        guard try await hs.database.adminUser(userID) != nil else { throw MatrixError.notFound("User not found") }
        var devices = JSONObject()
        for device in try await hs.database.devices(of: userID) {
            var connection: JSONObject = [:]
            connection["ip"] = device.lastSeenIP.map(JSONValue.string) ?? .null
            connection["last_seen"] = device.lastSeenTS.map(JSONValue.int) ?? .null
            connection["user_agent"] = .null
            devices[device.deviceID] = ["sessions": [["connections": [.object(connection)]]]]
        }
        return ["user_id": .string(userID), "devices": .object(devices)]
    }

    // MARK: Registration tokens

    public func registrationTokens(valid: Bool?) async throws -> JSONObject {
        let now = hs.clock.nowMillis()
        let tokens = try await hs.database.registrationTokens().filter { token in
            guard let valid else { return true }
            let usable = (token.expiryTime.map { $0 > now } ?? true) && (token.usesAllowed.map { token.completed < $0 } ?? true)
            return usable == valid
        }
        return ["registration_tokens": .array(tokens.map { .object(Self.tokenJSON($0)) })]
    }

    public func registrationToken(_ token: String) async throws -> JSONObject {
        guard let record = try await hs.database.registrationToken(token) else { throw MatrixError.notFound("No such registration token: \(token)") }
        return Self.tokenJSON(record)
    }

    static func tokenJSON(_ token: RegistrationToken) -> JSONObject {
        [
            "token": .string(token.token), "uses_allowed": token.usesAllowed.map { .int(Int64($0)) } ?? .null,
            "pending": .int(Int64(token.pending)), "completed": .int(Int64(token.completed)),
            "expiry_time": token.expiryTime.map(JSONValue.int) ?? .null,
        ]
    }

    static let tokenCharacters = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~-")

    public func createRegistrationToken(_ body: JSONObject) async throws -> JSONObject {
        let usesAllowed = try Self.optionalCount(body, "uses_allowed")
        let expiry = try Self.optionalTimestamp(body, "expiry_time", now: hs.clock.nowMillis())
        var token = try body.optionalString("token")
        if let given = token {
            guard !given.isEmpty, given.count <= 64, given.allSatisfy(Self.tokenCharacters.contains) else {
                throw MatrixError.invalidParam("token must be 1-64 characters from [A-Za-z0-9._~-]")
            }
        } else {
            let length = try Self.optionalCount(body, "length") ?? 16
            guard (1...64).contains(length) else { throw MatrixError.invalidParam("length must be 1-64") }
            token = SecureRandom.alphanumeric(length)
        }
        guard let token else { throw MatrixError.invalidParam("token") }
        do {
            try await hs.database.addRegistrationToken(token, usesAllowed: usesAllowed, expiryTime: expiry)
        } catch {
            throw MatrixError("M_INVALID_PARAM", "Token already exists", status: 400)
        }
        return try await registrationToken(token)
    }

    public func updateRegistrationToken(_ token: String, body: JSONObject) async throws -> JSONObject {
        guard try await hs.database.registrationToken(token) != nil else { throw MatrixError.notFound("No such registration token: \(token)") }
        let uses: Int?? = body["uses_allowed"] == nil ? nil : .some(try Self.optionalCount(body, "uses_allowed"))
        let expiry: Int64?? = body["expiry_time"] == nil ? nil : .some(try Self.optionalTimestamp(body, "expiry_time", now: hs.clock.nowMillis()))
        try await hs.database.updateRegistrationToken(token, usesAllowed: uses, expiryTime: expiry)
        return try await registrationToken(token)
    }

    public func deleteRegistrationToken(_ token: String) async throws {
        guard try await hs.database.deleteRegistrationToken(token) else { throw MatrixError.notFound("No such registration token: \(token)") }
    }

    static func optionalCount(_ body: JSONObject, _ key: String) throws -> Int? {
        guard let value = body[key], !value.isNull else { return nil }
        guard let n = value.intValue, n >= 0 else { throw MatrixError.invalidParam("\(key) must be a non-negative integer or null") }
        return Int(n)
    }

    static func optionalTimestamp(_ body: JSONObject, _ key: String, now: Int64) throws -> Int64? {
        guard let value = body[key], !value.isNull else { return nil }
        guard let ts = value.intValue, ts > now else { throw MatrixError.invalidParam("\(key) must be a timestamp in the future or null") }
        return ts
    }
}

/// The homeserver as seen by services built inside its initialiser.
final class HomeserverLink: Sendable {
    private let value = Mutex<Homeserver?>(nil)
    func set(_ homeserver: Homeserver) { value.withLock { $0 = homeserver } }
    func get() -> Homeserver {
        guard let homeserver = value.withLock({ $0 }) else { preconditionFailure("homeserver not set up") }
        return homeserver
    }
}

extension MatrixError {
    func withStatus(_ status: Int) -> MatrixError { MatrixError(errcode, message, status: status) }
}
