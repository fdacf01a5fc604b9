import ApusConfig
import Foundation
import Hummingbird
import HummingbirdTesting
import MatrixProtocol
import Services
import Testing

private let base = "/_matrix/client/v3"

/// Registers `username` with the dummy stage in one request (as nio does) and returns its token.
func registerUser(_ client: some TestClientProtocol, _ username: String, password: String = "pw-\(UUID())",
                  extra: JSONObject = [:]) async throws -> (userID: String, token: String, deviceID: String) {
    var body = extra
    body["username"] = .string(username)
    body["password"] = .string(password)
    body["auth"] = ["type": "m.login.dummy"]
    let (status, json) = try await client.call(.post, "\(base)/register", body: body)
    #expect(status == .ok, "register \(username): \(json)")
    return (json["user_id"]?.stringValue ?? "", json["access_token"]?.stringValue ?? "", json["device_id"]?.stringValue ?? "")
}

@Sendable func openRegistration(_ config: inout ApusConfiguration) { config.registration.enabled = true }

@Suite struct RegistrationTests {
    @Test func disabledRegistrationIsForbidden() async throws {
        let hs = try await TestHomeserver.make()
        try await hs.test { client in
            let (status, json) = try await client.call(.post, "\(base)/register", body: ["username": "alice", "password": "x"])
            #expect(status == .forbidden && json["errcode"] == "M_FORBIDDEN")
            let guest = try await client.call(.post, "\(base)/register?kind=guest", body: [:])
            #expect(guest.status == .forbidden)
        }
        try await hs.close()
    }

    @Test func userInteractiveFlow() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            // First request without auth: a bare challenge.
            let (status, challenge) = try await client.call(.post, "\(base)/register", body: ["username": "alice", "password": "secret"])
            #expect(status == .unauthorized)
            #expect(challenge["errcode"] == nil)
            #expect(challenge["flows"]?.arrayValue?.first?["stages"] == ["m.login.dummy"])
            let session = try #require(challenge["session"]?.stringValue)
            // Completing the stage in the session registers.
            let (ok, json) = try await client.call(.post, "\(base)/register", body: [
                "username": "alice", "password": "secret", "initial_device_display_name": "phone",
                "auth": ["type": "m.login.dummy", "session": .string(session)],
            ])
            #expect(ok == .ok)
            #expect(json["user_id"] == "@alice:localhost")
            #expect(json["access_token"]?.stringValue?.isEmpty == false)
            #expect(json["device_id"]?.stringValue?.isEmpty == false)
            // The session is used up.
            let reuse = try await client.call(.post, "\(base)/register", body: [
                "username": "alice2", "password": "x", "auth": ["type": "m.login.dummy", "session": .string(session)],
            ])
            #expect(reuse.status == .badRequest && reuse.json["errcode"] == "M_INVALID_PARAM")
            let whoami = try await client.call(.get, "\(base)/account/whoami", token: json["access_token"]?.stringValue)
            #expect(whoami.json["user_id"] == "@alice:localhost" && whoami.json["is_guest"] == false)
            let devices = try await client.call(.get, "\(base)/devices", token: json["access_token"]?.stringValue)
            #expect(devices.json["devices"]?.arrayValue?.first?["display_name"] == "phone")
        }
        try await hs.close()
    }

    @Test func usernameErrors() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            _ = try await registerUser(client, "bob")
            let auth: JSONValue = ["type": "m.login.dummy"]
            var r = try await client.call(.post, "\(base)/register", body: ["username": "bob", "password": "x", "auth": auth])
            #expect(r.status == .badRequest && r.json["errcode"] == "M_USER_IN_USE")
            r = try await client.call(.post, "\(base)/register", body: ["username": "BOB", "password": "x", "auth": auth])
            #expect(r.json["errcode"] == "M_USER_IN_USE")  // localparts are case-folded
            r = try await client.call(.post, "\(base)/register", body: ["username": "bad name", "password": "x", "auth": auth])
            #expect(r.status == .badRequest && r.json["errcode"] == "M_INVALID_USERNAME")
            r = try await client.call(.post, "\(base)/register", body: ["username": .string(String(repeating: "a", count: 300)), "auth": auth])
            #expect(r.json["errcode"] == "M_INVALID_USERNAME")
            r = try await client.call(.post, "\(base)/register", body: ["username": 5, "auth": auth])
            #expect(r.status == .badRequest && r.json["errcode"] == "M_BAD_JSON")
            r = try await client.call(.post, "\(base)/register", rawBody: "{nope")
            #expect(r.json["errcode"] == "M_NOT_JSON")
            r = try await client.call(.post, "\(base)/register?kind=admin", body: [:])
            #expect(r.json["errcode"] == "M_INVALID_PARAM")
            r = try await client.call(.post, "\(base)/register", body: ["username": "carol", "auth": ["type": "m.login.password"]])
            #expect(r.status == .unauthorized && r.json["errcode"] == "M_UNRECOGNIZED")

            r = try await client.call(.get, "\(base)/register/available?username=bob")
            #expect(r.status == .badRequest && r.json["errcode"] == "M_USER_IN_USE")
            r = try await client.call(.get, "\(base)/register/available?username=dave")
            #expect(r.status == .ok && r.json["available"] == true)
            r = try await client.call(.get, "\(base)/register/available?username=no%20way")
            #expect(r.json["errcode"] == "M_INVALID_USERNAME")
            r = try await client.call(.get, "\(base)/register/available")
            #expect(r.json["errcode"] == "M_MISSING_PARAM")
        }
        try await hs.close()
    }

    @Test func generatedUsernameAndInhibitLogin() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let r = try await client.call(.post, "\(base)/register", body: ["password": "x", "inhibit_login": true,
                                                                            "auth": ["type": "m.login.dummy"]])
            #expect(r.status == .ok)
            #expect(r.json["user_id"]?.stringValue?.hasPrefix("@") == true)
            #expect(r.json["access_token"] == nil && r.json["device_id"] == nil)
        }
        try await hs.close()
    }

    @Test func registrationTokens() async throws {
        let hs = try await TestHomeserver.make {
            $0.registration.enabled = true
            $0.registration.requireToken = true
        }
        try await hs.homeserver.database.addRegistrationToken("let-me-in", usesAllowed: 1, expiryTime: nil)
        try await hs.test { client in
            var r = try await client.call(.post, "\(base)/register", body: ["username": "a", "password": "x", "auth": ["type": "m.login.dummy"]])
            #expect(r.status == .unauthorized && r.json["errcode"] == "M_UNRECOGNIZED")
            #expect(r.json["flows"]?.arrayValue?.first?["stages"] == ["m.login.registration_token"])
            r = try await client.call(.post, "\(base)/register", body: [
                "username": "a", "password": "x", "auth": ["type": "m.login.registration_token", "token": "wrong"]])
            #expect(r.status == .unauthorized && r.json["errcode"] == "M_UNAUTHORIZED" && r.json["session"] != nil)
            r = try await client.call(.post, "\(base)/register", body: [
                "username": "a", "password": "x", "auth": ["type": "m.login.registration_token", "token": "let-me-in"]])
            #expect(r.status == .ok && r.json["user_id"] == "@a:localhost")
            // The token allowed one use.
            r = try await client.call(.post, "\(base)/register", body: [
                "username": "b", "password": "x", "auth": ["type": "m.login.registration_token", "token": "let-me-in"]])
            #expect(r.status == .unauthorized && r.json["errcode"] == "M_UNAUTHORIZED")
        }
        try await hs.close()
    }

    @Test func guests() async throws {
        let hs = try await TestHomeserver.make { $0.registration.allowGuests = true }
        try await hs.test { client in
            let r = try await client.call(.post, "\(base)/register?kind=guest", body: ["username": "ignored"])
            #expect(r.status == .ok)
            let token = r.json["access_token"]?.stringValue
            let whoami = try await client.call(.get, "\(base)/account/whoami", token: token)
            #expect(whoami.json["is_guest"] == true && whoami.json["user_id"] != "@ignored:localhost")
            let pw = try await client.call(.post, "\(base)/account/password", token: token, body: ["new_password": "x"])
            #expect(pw.status == .forbidden && pw.json["errcode"] == "M_GUEST_ACCESS_FORBIDDEN")
        }
        try await hs.close()
    }
}

@Suite struct LoginTests {
    @Test func passwordLogin() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            _ = try await registerUser(client, "erin", password: "correct")
            let flows = try await client.call(.get, "\(base)/login")
            #expect(flows.json["flows"]?.arrayValue?.contains(["type": "m.login.password"]) == true)
            for identifier: JSONValue in [["type": "m.id.user", "user": "erin"], ["type": "m.id.user", "user": "@erin:localhost"]] {
                let r = try await client.call(.post, "\(base)/login", body: ["type": "m.login.password", "identifier": identifier,
                                                                            "password": "correct", "device_id": "LAPTOP"])
                #expect(r.status == .ok)
                #expect(r.json["user_id"] == "@erin:localhost" && r.json["device_id"] == "LAPTOP")
                #expect(r.json["well_known"]?["m.homeserver"]?["base_url"] != nil)
            }
            let legacy = try await client.call(.post, "/_matrix/client/r0/login", body: ["type": "m.login.password", "user": "erin", "password": "correct"])
            #expect(legacy.status == .ok)
            // Logging in again with the same device ID replaced that device's token.
            let devices = try await client.call(.get, "\(base)/devices", token: legacy.json["access_token"]?.stringValue)
            #expect(devices.json["devices"]?.arrayValue?.filter { $0["device_id"] == "LAPTOP" }.count == 1)
        }
        try await hs.close()
    }

    @Test func loginErrors() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            _ = try await registerUser(client, "frank", password: "correct")
            let id: JSONValue = ["type": "m.id.user", "user": "frank"]
            var r = try await client.call(.post, "\(base)/login", body: ["type": "m.login.password", "identifier": id, "password": "wrong"])
            #expect(r.status == .forbidden && r.json["errcode"] == "M_FORBIDDEN")
            r = try await client.call(.post, "\(base)/login", body: ["type": "m.login.password", "identifier": ["type": "m.id.user", "user": "nobody"], "password": "x"])
            #expect(r.status == .forbidden && r.json["errcode"] == "M_FORBIDDEN")
            r = try await client.call(.post, "\(base)/login", body: ["type": "m.login.password", "identifier": ["type": "m.id.user", "user": "@frank:elsewhere"], "password": "correct"])
            #expect(r.status == .forbidden)
            r = try await client.call(.post, "\(base)/login", body: ["type": "m.login.password", "identifier": id])
            #expect(r.status == .badRequest && r.json["errcode"] == "M_MISSING_PARAM")
            r = try await client.call(.post, "\(base)/login", body: ["type": "m.login.sso"])
            #expect(r.status == .badRequest && r.json["errcode"] == "M_UNKNOWN")
            r = try await client.call(.post, "\(base)/login", body: ["identifier": id, "password": "correct"])
            #expect(r.json["errcode"] == "M_MISSING_PARAM")
            r = try await client.call(.post, "\(base)/login", body: ["type": "m.login.password", "identifier": ["type": "m.id.thirdparty", "medium": "email", "address": "a@b"], "password": "x"])
            #expect(r.status == .badRequest && r.json["errcode"] == "M_UNKNOWN")
        }
        try await hs.close()
    }

    @Test func tokensAndLogout() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            var r = try await client.call(.get, "\(base)/account/whoami")
            #expect(r.status == .unauthorized && r.json["errcode"] == "M_MISSING_TOKEN")
            r = try await client.call(.get, "\(base)/account/whoami", token: "nonsense")
            #expect(r.status == .unauthorized && r.json["errcode"] == "M_UNKNOWN_TOKEN" && r.json["soft_logout"] == false)
            // Only the Authorization header carries tokens.
            let user = try await registerUser(client, "gina", password: "pw")
            r = try await client.call(.get, "\(base)/account/whoami?access_token=\(user.token)")
            #expect(r.json["errcode"] == "M_MISSING_TOKEN")
            // The scheme in any case, blanks around the token; anything else is no token at all.
            for (header, errcode) in [("bearer \(user.token)", nil), ("BEARER  \(user.token) ", nil), ("Bearer\t\(user.token)", "M_MISSING_TOKEN"),
                                      ("Basic \(user.token)", "M_MISSING_TOKEN"), ("Bearer ", "M_MISSING_TOKEN"), ("Bearer\(user.token)", "M_MISSING_TOKEN"),
                                      ("Bearer x\(user.token)", "M_UNKNOWN_TOKEN")] as [(String, String?)] {
                let answer = try await client.execute(uri: "\(base)/account/whoami", method: .get, headers: [.authorization: header]) { response in
                    (response.status, try JSONParser.parse(Array(response.body.readableBytesView)))
                }
                #expect(answer.0 == (errcode == nil ? .ok : .unauthorized), "\(header)")
                #expect(answer.1["errcode"]?.stringValue == errcode, "\(header)")
            }

            let second = try await client.call(.post, "\(base)/login", body: ["type": "m.login.password", "user": "gina", "password": "pw"])
            let token2 = try #require(second.json["access_token"]?.stringValue)
            r = try await client.call(.post, "\(base)/logout", token: user.token)
            #expect(r.status == .ok)
            #expect(try await client.call(.get, "\(base)/account/whoami", token: user.token).json["errcode"] == "M_UNKNOWN_TOKEN")
            #expect(try await client.call(.get, "\(base)/account/whoami", token: token2).status == .ok)
            let third = try await client.call(.post, "\(base)/login", body: ["type": "m.login.password", "user": "gina", "password": "pw"])
            r = try await client.call(.post, "\(base)/logout/all", token: token2)
            #expect(r.status == .ok)
            #expect(try await client.call(.get, "\(base)/account/whoami", token: token2).status == .unauthorized)
            #expect(try await client.call(.get, "\(base)/account/whoami", token: third.json["access_token"]?.stringValue).status == .unauthorized)
        }
        try await hs.close()
    }

    @Test func refreshTokens() async throws {
        let clock = TestClock()
        let hs = try await TestHomeserver.make(configure: openRegistration, clock: clock.clock)
        try await hs.test { client in
            _ = try await registerUser(client, "hal", password: "pw")
            let login = try await client.call(.post, "\(base)/login", body: ["type": "m.login.password", "user": "hal", "password": "pw", "refresh_token": true])
            #expect(login.json["expires_in_ms"] == .int(Accounts.refreshableTokenLifetime))
            let access = login.json["access_token"]?.stringValue, refresh = try #require(login.json["refresh_token"]?.stringValue)
            #expect(try await client.call(.get, "\(base)/account/whoami", token: access).status == .ok)
            clock.now += Accounts.refreshableTokenLifetime + 1
            let expired = try await client.call(.get, "\(base)/account/whoami", token: access)
            #expect(expired.status == .unauthorized && expired.json["errcode"] == "M_UNKNOWN_TOKEN" && expired.json["soft_logout"] == true)
            let refreshed = try await client.call(.post, "\(base)/refresh", body: ["refresh_token": .string(refresh)])
            #expect(refreshed.status == .ok && refreshed.json["refresh_token"] != nil)
            #expect(try await client.call(.get, "\(base)/account/whoami", token: refreshed.json["access_token"]?.stringValue).status == .ok)
            let reuse = try await client.call(.post, "\(base)/refresh", body: ["refresh_token": .string(refresh)])
            #expect(reuse.status == .unauthorized && reuse.json["errcode"] == "M_UNKNOWN_TOKEN")
            let missing = try await client.call(.post, "\(base)/refresh", body: [:])
            #expect(missing.json["errcode"] == "M_MISSING_PARAM")
        }
        try await hs.close()
    }
}

@Suite struct AccountManagementTests {
    @Test func changePassword() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let user = try await registerUser(client, "ivy", password: "old")
            let other = try await client.call(.post, "\(base)/login", body: ["type": "m.login.password", "user": "ivy", "password": "old"])
            var r = try await client.call(.post, "\(base)/account/password", token: user.token, body: ["new_password": "new"])
            #expect(r.status == .unauthorized && r.json["flows"]?.arrayValue?.first?["stages"] == ["m.login.password"])
            let session = try #require(r.json["session"]?.stringValue)
            r = try await client.call(.post, "\(base)/account/password", token: user.token, body: [
                "new_password": "new", "auth": ["type": "m.login.password", "identifier": ["type": "m.id.user", "user": "ivy"],
                                                "password": "wrong", "session": .string(session)]])
            #expect(r.status == .unauthorized && r.json["errcode"] == "M_FORBIDDEN" && r.json["session"] == .string(session))
            r = try await client.call(.post, "\(base)/account/password", token: user.token, body: [
                "new_password": "new", "auth": ["type": "m.login.password", "identifier": ["type": "m.id.user", "user": "ivy"],
                                                "password": "old", "session": .string(session)]])
            #expect(r.status == .ok)
            #expect(try await client.call(.get, "\(base)/account/whoami", token: user.token).status == .ok)
            #expect(try await client.call(.get, "\(base)/account/whoami", token: other.json["access_token"]?.stringValue).status == .unauthorized)
            #expect(try await client.call(.post, "\(base)/login", body: ["type": "m.login.password", "user": "ivy", "password": "old"]).status == .forbidden)
            #expect(try await client.call(.post, "\(base)/login", body: ["type": "m.login.password", "user": "ivy", "password": "new"]).status == .ok)
        }
        try await hs.close()
    }

    @Test func passwordStageMustBeForTheRequester() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let user = try await registerUser(client, "jack", password: "pw")
            _ = try await registerUser(client, "jill", password: "pw2")
            let r = try await client.call(.post, "\(base)/account/password", token: user.token, body: [
                "new_password": "new", "auth": ["type": "m.login.password", "user": "jill", "password": "pw2"]])
            #expect(r.status == .unauthorized && r.json["errcode"] == "M_FORBIDDEN")
        }
        try await hs.close()
    }

    @Test func deactivate() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let user = try await registerUser(client, "kim", password: "pw")
            let pusher: JSONObject = ["pushkey": "kim-key", "kind": "http", "app_id": "org.example.app", "app_display_name": "App",
                                      "device_display_name": "Phone", "lang": "en",
                                      "data": ["url": "https://push.example.org/_matrix/push/v1/notify"]]
            #expect(try await client.call(.post, "\(base)/pushers/set", token: user.token, body: pusher).status == .ok)
            let r = try await client.call(.post, "\(base)/account/deactivate", token: user.token, body: [
                "auth": ["type": "m.login.password", "user": "kim", "password": "pw"]])
            #expect(r.status == .ok && r.json["id_server_unbind_result"] == "no-support")
            #expect(try await client.call(.get, "\(base)/account/whoami", token: user.token).status == .unauthorized)
            let login = try await client.call(.post, "\(base)/login", body: ["type": "m.login.password", "user": "kim", "password": "pw"])
            #expect(login.status == .forbidden && login.json["errcode"] == "M_USER_DEACTIVATED")
            let again = try await client.call(.get, "\(base)/register/available?username=kim")
            #expect(again.json["errcode"] == "M_USER_IN_USE")
            // A deactivated account is sent no more pushes.
            #expect(try await hs.homeserver.database.pushers(of: user.userID).isEmpty)
        }
        try await hs.close()
    }

    @Test func devices() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let user = try await registerUser(client, "lee", password: "pw", extra: ["device_id": "ONE"])
            let two = try await client.call(.post, "\(base)/login", body: ["type": "m.login.password", "user": "lee", "password": "pw", "device_id": "TWO"])
            var r = try await client.call(.get, "\(base)/devices", token: user.token)
            #expect(r.json["devices"]?.arrayValue?.compactMap { $0["device_id"]?.stringValue } == ["ONE", "TWO"])
            r = try await client.call(.put, "\(base)/devices/TWO", token: user.token, body: ["display_name": "tablet"])
            #expect(r.status == .ok)
            r = try await client.call(.get, "\(base)/devices/TWO", token: user.token)
            #expect(r.json["display_name"] == "tablet" && r.json["user_id"] == "@lee:localhost")
            r = try await client.call(.get, "\(base)/devices/NOPE", token: user.token)
            #expect(r.status == .notFound && r.json["errcode"] == "M_NOT_FOUND")
            r = try await client.call(.put, "\(base)/devices/NOPE", token: user.token, body: ["display_name": "x"])
            #expect(r.status == .notFound)
            r = try await client.call(.delete, "\(base)/devices/TWO", token: user.token, body: [:])
            #expect(r.status == .unauthorized && r.json["flows"] != nil)
            r = try await client.call(.delete, "\(base)/devices/TWO", token: user.token, body: [
                "auth": ["type": "m.login.password", "user": "lee", "password": "pw", "session": r.json["session"] ?? .null]])
            #expect(r.status == .ok)
            #expect(try await client.call(.get, "\(base)/account/whoami", token: two.json["access_token"]?.stringValue).status == .unauthorized)
            r = try await client.call(.post, "\(base)/delete_devices", token: user.token, body: ["devices": "ONE"])
            #expect(r.json["errcode"] == "M_BAD_JSON")
            r = try await client.call(.post, "\(base)/delete_devices", token: user.token, body: [
                "devices": ["ONE"], "auth": ["type": "m.login.password", "user": "lee", "password": "pw"]])
            #expect(r.status == .ok)
            #expect(try await client.call(.get, "\(base)/devices", token: user.token).status == .unauthorized)
        }
        try await hs.close()
    }

    @Test func capabilities() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            #expect(try await client.call(.get, "\(base)/capabilities").status == .unauthorized)
            let user = try await registerUser(client, "max")
            let r = try await client.call(.get, "\(base)/capabilities", token: user.token)
            let caps = r.json["capabilities"]
            #expect(caps?["m.change_password"]?["enabled"] == true)
            #expect(caps?["m.room_versions"]?["available"]?["12"] == "stable")
            #expect(caps?["m.room_versions"]?["default"] == .string(RoomVersion.defaultForNewRooms))
        }
        try await hs.close()
    }
}
