import Foundation
import Hummingbird
import HummingbirdTesting
import MatrixProtocol
import Testing

private let base = "/_matrix/client/v3"

@Suite struct PushRulesTests {
    func ids(_ json: JSONObject, _ kind: String) -> [String] {
        (json[kind]?.arrayValue ?? []).compactMap { $0["rule_id"]?.stringValue }
    }

    @Test func serverDefaultsInSpecOrder() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice")
            let r = try await client.call(.get, "\(base)/pushrules/", token: alice.token)
            #expect(r.status == .ok)
            let global = try #require(r.json["global"]?.objectValue)
            #expect(ids(global, "override") == [
                ".m.rule.master", ".m.rule.suppress_notices", ".m.rule.invite_for_me", ".m.rule.member_event",
                ".m.rule.is_user_mention", ".m.rule.is_room_mention", ".m.rule.tombstone", ".m.rule.reaction",
                ".m.rule.room.server_acl", ".m.rule.suppress_edits",
            ])
            #expect(ids(global, "underride") == [
                ".m.rule.call", ".m.rule.encrypted_room_one_to_one", ".m.rule.room_one_to_one", ".m.rule.message", ".m.rule.encrypted",
            ])
            #expect(ids(global, "content").isEmpty && ids(global, "room").isEmpty && ids(global, "sender").isEmpty)
            let master = global["override"]?.arrayValue?.first
            #expect(master?["enabled"] == false && master?["default"] == true)
            let invite = global["override"]?.arrayValue?.first { $0["rule_id"] == ".m.rule.invite_for_me" }
            #expect(invite?["conditions"]?.arrayValue?.last?["pattern"] == .string(alice.userID))
            #expect(try await client.call(.get, "\(base)/pushrules/global/", token: alice.token).json == global)

            // The initial sync carries the ruleset as m.push_rules account data.
            let sync = try await client.call(.get, "\(base)/sync", token: alice.token)
            let event = sync.json["account_data"]?["events"]?.arrayValue?.first { $0["type"] == "m.push_rules" }
            #expect(event?["content"]?["global"] == .object(global))
            let accountData = try await client.call(.get, "\(base)/user/\(enc(alice.userID))/account_data/m.push_rules", token: alice.token)
            #expect(accountData.status == .ok && accountData.json == ["global": .object(global)])
            #expect(try await client.call(.get, "\(base)/pushrules/").status == .unauthorized)
        }
        try await hs.close()
    }

    @Test func createOrderUpdateDelete() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice")
            let next = try #require(try await client.call(.get, "\(base)/sync", token: alice.token).json["next_batch"]?.stringValue)
            let rules = "\(base)/pushrules/global/override"
            let condition: JSONObject = ["kind": "event_match", "key": "content.body", "pattern": "beer"]
            var r = try await client.call(.put, "\(rules)/a", token: alice.token, body: ["conditions": [.object(condition)], "actions": ["notify"]])
            #expect(r.status == .ok)
            // Without an anchor a new rule is the most important user rule; after/before place it.
            _ = try await client.call(.put, "\(rules)/b", token: alice.token, body: ["actions": []])
            _ = try await client.call(.put, "\(rules)/c?after=a", token: alice.token, body: ["actions": []])
            _ = try await client.call(.put, "\(rules)/d?before=a", token: alice.token, body: ["actions": []])
            r = try await client.call(.get, "\(base)/pushrules/global/", token: alice.token)
            #expect(Array(ids(r.json, "override").prefix(6)) == [".m.rule.master", "b", "d", "a", "c", ".m.rule.suppress_notices"])

            r = try await client.call(.get, "\(rules)/a", token: alice.token)
            #expect(r.json["conditions"] == [.object(condition)] && r.json["actions"] == ["notify"])
            #expect(r.json["default"] == false && r.json["enabled"] == true && r.json["rule_id"] == "a")

            // Updating keeps the place and the enabled state.
            _ = try await client.call(.put, "\(rules)/a/enabled", token: alice.token, body: ["enabled": false])
            _ = try await client.call(.put, "\(rules)/a", token: alice.token, body: ["actions": ["notify", ["set_tweak": "sound", "value": "beer.wav"]]])
            r = try await client.call(.get, "\(rules)/a", token: alice.token)
            #expect(r.json["enabled"] == false && r.json["conditions"] == [] && r.json["actions"]?.arrayValue?.count == 2)
            r = try await client.call(.get, "\(base)/pushrules/global/", token: alice.token)
            #expect(Array(ids(r.json, "override").prefix(5)) == [".m.rule.master", "b", "d", "a", "c"])

            // Moving an existing rule.
            _ = try await client.call(.put, "\(rules)/b?after=c", token: alice.token, body: ["actions": []])
            r = try await client.call(.get, "\(base)/pushrules/global/", token: alice.token)
            #expect(Array(ids(r.json, "override").prefix(5)) == [".m.rule.master", "d", "a", "c", "b"])

            _ = try await client.call(.put, "\(base)/pushrules/global/content/cake", token: alice.token,
                                      body: ["pattern": "cake*lie", "actions": ["notify"]])
            _ = try await client.call(.put, "\(base)/pushrules/global/room/\(enc("!r:localhost"))", token: alice.token, body: ["actions": []])
            _ = try await client.call(.put, "\(base)/pushrules/global/sender/\(enc("@spam:localhost"))", token: alice.token, body: ["actions": []])
            r = try await client.call(.get, "\(base)/pushrules/", token: alice.token)
            #expect(r.json["global"]?["content"]?.arrayValue?.first?["pattern"] == "cake*lie")
            #expect(ids(r.json["global"]?.objectValue ?? [:], "room") == ["!r:localhost"])
            #expect(ids(r.json["global"]?.objectValue ?? [:], "sender") == ["@spam:localhost"])

            r = try await client.call(.delete, "\(rules)/a", token: alice.token)
            #expect(r.status == .ok)
            r = try await client.call(.get, "\(rules)/a", token: alice.token)
            #expect(r.status == .notFound && r.json["errcode"] == "M_NOT_FOUND")
            r = try await client.call(.delete, "\(rules)/a", token: alice.token)
            #expect(r.status == .notFound && r.json["errcode"] == "M_NOT_FOUND")

            // Each change is in the next sync's account data, as the whole current ruleset.
            let sync = try await client.call(.get, "\(base)/sync?since=\(next)", token: alice.token)
            let pushRules = sync.json["account_data"]?["events"]?.arrayValue?.first { $0["type"] == "m.push_rules" }
            let current = try await client.call(.get, "\(base)/pushrules/", token: alice.token).json
            #expect(pushRules?["content"] == .object(current))
            #expect(try await client.call(.get, "\(base)/user/\(enc(alice.userID))/account_data/m.push_rules", token: alice.token).json == current)
            let overrides = ids(current["global"]?.objectValue ?? [:], "override")
            #expect(!overrides.contains("a"))
        }
        try await hs.close()
    }

    @Test func badRequests() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice")
            let rules = "\(base)/pushrules/global"
            func expectError(_ method: HTTPRequest.Method, _ path: String, _ body: JSONObject? = nil, _ status: HTTPResponse.Status,
                             _ errcode: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
                let r = try await client.call(method, path, token: alice.token, body: body)
                #expect(r.status == status && r.json["errcode"] == .string(errcode), "\(method) \(path): \(r.json)",
                        sourceLocation: sourceLocation)
            }
            try await expectError(.get, "\(rules)/everything/x", nil, .badRequest, "M_INVALID_PARAM")
            try await expectError(.put, "\(rules)/everything/x", ["actions": []], .badRequest, "M_INVALID_PARAM")
            try await expectError(.put, "\(rules)/override/.m.rule.mine", ["actions": []], .badRequest, "M_INVALID_PARAM")
            try await expectError(.put, "\(rules)/override/.m.rule.master", ["actions": []], .badRequest, "M_INVALID_PARAM")
            try await expectError(.put, "\(rules)/override/a%5Cb", ["actions": []], .badRequest, "M_INVALID_PARAM")
            try await expectError(.put, "\(rules)/override/x", [:], .badRequest, "M_MISSING_PARAM")
            try await expectError(.put, "\(rules)/override/x", ["actions": ["explode"]], .badRequest, "M_INVALID_PARAM")
            try await expectError(.put, "\(rules)/override/x", ["actions": [], "conditions": [["kind": "event_match"]]],
                                  .badRequest, "M_INVALID_PARAM")
            try await expectError(.put, "\(rules)/override/x", ["actions": [], "conditions": [["kind": "room_member_count", "is": "x"]]],
                                  .badRequest, "M_INVALID_PARAM")
            try await expectError(.put, "\(rules)/content/x", ["actions": []], .badRequest, "M_MISSING_PARAM")
            try await expectError(.put, "\(rules)/room/not-a-room", ["actions": []], .badRequest, "M_INVALID_PARAM")
            try await expectError(.put, "\(rules)/sender/nobody", ["actions": []], .badRequest, "M_INVALID_PARAM")
            try await expectError(.put, "\(rules)/override/x?before=missing", ["actions": []], .badRequest, "M_UNKNOWN")
            try await expectError(.put, "\(rules)/override/x?after=.m.rule.master", ["actions": []], .badRequest, "M_INVALID_PARAM")
            try await expectError(.delete, "\(rules)/override/.m.rule.master", nil, .badRequest, "M_INVALID_PARAM")
            try await expectError(.get, "\(rules)/override/nothing", nil, .notFound, "M_NOT_FOUND")
            try await expectError(.get, "\(rules)/underride/.m.rule.master", nil, .notFound, "M_NOT_FOUND")
            try await expectError(.put, "\(rules)/override/nothing/enabled", ["enabled": true], .notFound, "M_NOT_FOUND")
            try await expectError(.put, "\(rules)/override/nothing/actions", ["actions": []], .notFound, "M_NOT_FOUND")
            try await expectError(.put, "\(rules)/override/.m.rule.master/enabled", [:], .badRequest, "M_MISSING_PARAM")
            try await expectError(.put, "\(rules)/override/.m.rule.master/enabled", ["enabled": "yes"], .badRequest, "M_BAD_JSON")
            try await expectError(.put, "\(rules)/override/.m.rule.master/actions", ["actions": "notify"], .badRequest, "M_BAD_JSON")
            let r = try await client.call(.put, "\(rules)/override/x", token: alice.token, rawBody: "{not json")
            #expect(r.status == .badRequest && r.json["errcode"] == "M_NOT_JSON")
            // Nothing half-written: the refused rules do not exist.
            #expect(ids(try await client.call(.get, "\(rules)/", token: alice.token).json, "override").count == 10)
        }
        try await hs.close()
    }

    @Test func enabledAndActionsOfDefaultAndUserRules() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice")
            let master = "\(base)/pushrules/global/override/.m.rule.master"
            var r = try await client.call(.get, "\(master)/enabled", token: alice.token)
            #expect(r.status == .ok && r.json == ["enabled": false])
            _ = try await client.call(.put, "\(master)/enabled", token: alice.token, body: ["enabled": true])
            #expect(try await client.call(.get, "\(master)/enabled", token: alice.token).json == ["enabled": true])
            #expect(try await client.call(.get, master, token: alice.token).json["enabled"] == true)

            let message = "\(base)/pushrules/global/underride/.m.rule.message"
            #expect(try await client.call(.get, "\(message)/actions", token: alice.token).json == ["actions": ["notify"]])
            r = try await client.call(.put, "\(message)/actions", token: alice.token,
                                      body: ["actions": ["notify", "dont_notify", ["set_tweak": "highlight"]]])
            #expect(r.status == .ok)
            #expect(try await client.call(.get, "\(message)/actions", token: alice.token).json
                == ["actions": ["notify", ["set_tweak": "highlight"]]])
            // Other users keep the defaults.
            let bob = try await registerUser(client, "bob")
            #expect(try await client.call(.get, "\(master)/enabled", token: bob.token).json == ["enabled": false])

            _ = try await client.call(.put, "\(base)/pushrules/global/sender/\(enc(bob.userID))", token: alice.token, body: ["actions": []])
            let sender = "\(base)/pushrules/global/sender/\(enc(bob.userID))"
            _ = try await client.call(.put, "\(sender)/actions", token: alice.token, body: ["actions": ["notify"]])
            _ = try await client.call(.put, "\(sender)/enabled", token: alice.token, body: ["enabled": false])
            r = try await client.call(.get, sender, token: alice.token)
            #expect(r.json["actions"] == ["notify"] && r.json["enabled"] == false && r.json["default"] == false)
        }
        try await hs.close()
    }

    @Test func pushers() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice"), bob = try await registerUser(client, "bob", password: "pw-bob")
            var pusher: JSONObject = [
                "pushkey": "key1", "kind": "http", "app_id": "org.example.app.ios", "app_display_name": "Example",
                "device_display_name": "Phone", "lang": "en", "profile_tag": "tag",
                "data": ["url": "https://push.example.org/_matrix/push/v1/notify", "format": "event_id_only", "custom": 1],
            ]
            var r = try await client.call(.post, "\(base)/pushers/set", token: alice.token, body: pusher)
            #expect(r.status == .ok)
            r = try await client.call(.get, "\(base)/pushers", token: alice.token)
            #expect(r.json["pushers"]?.arrayValue == [.object(pusher)])

            // Updating replaces; another user taking the same key removes alice's unless `append`.
            pusher["lang"] = "de"
            _ = try await client.call(.post, "\(base)/pushers/set", token: alice.token, body: pusher)
            #expect(try await client.call(.get, "\(base)/pushers", token: alice.token).json["pushers"]?.arrayValue?.first?["lang"] == "de")
            var shared = pusher
            shared["append"] = true
            _ = try await client.call(.post, "\(base)/pushers/set", token: bob.token, body: shared)
            #expect(try await client.call(.get, "\(base)/pushers", token: alice.token).json["pushers"]?.arrayValue?.count == 1)
            _ = try await client.call(.post, "\(base)/pushers/set", token: bob.token, body: pusher)
            #expect(try await client.call(.get, "\(base)/pushers", token: alice.token).json["pushers"]?.arrayValue?.isEmpty == true)
            #expect(try await client.call(.get, "\(base)/pushers", token: bob.token).json["pushers"]?.arrayValue?.count == 1)

            // Logging out the device that set a pusher removes it; another device's pusher stays.
            let phone = try await client.call(.post, "\(base)/login", body: ["type": "m.login.password", "user": "bob", "password": "pw-bob"])
            let phoneToken = phone.json["access_token"]?.stringValue ?? ""
            var phonePusher = pusher
            phonePusher["pushkey"] = "phone-key"
            #expect(try await client.call(.post, "\(base)/pushers/set", token: phoneToken, body: phonePusher).status == .ok)
            #expect(try await client.call(.get, "\(base)/pushers", token: bob.token).json["pushers"]?.arrayValue?.count == 2)
            #expect(try await client.call(.post, "\(base)/logout", token: phoneToken, body: [:]).status == .ok)
            let left = try await client.call(.get, "\(base)/pushers", token: bob.token).json["pushers"]?.arrayValue ?? []
            #expect(left.map { $0["pushkey"] } == ["key1"])

            r = try await client.call(.post, "\(base)/pushers/set", token: bob.token,
                                      body: ["pushkey": "key1", "app_id": "org.example.app.ios", "kind": .null])
            #expect(r.status == .ok)
            #expect(try await client.call(.get, "\(base)/pushers", token: bob.token).json["pushers"]?.arrayValue?.isEmpty == true)

            func expectError(_ body: JSONObject, _ errcode: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
                let r = try await client.call(.post, "\(base)/pushers/set", token: alice.token, body: body)
                #expect(r.status == .badRequest && r.json["errcode"] == .string(errcode), "\(r.json)", sourceLocation: sourceLocation)
            }
            var missing = pusher
            missing["app_id"] = nil
            try await expectError(missing, "M_MISSING_PARAM")
            missing = pusher
            missing["kind"] = nil
            try await expectError(missing, "M_MISSING_PARAM")
            missing = pusher
            missing["lang"] = nil
            try await expectError(missing, "M_MISSING_PARAM")
            var bad = pusher
            bad["data"] = ["url": "https://push.example.org/somewhere"]
            try await expectError(bad, "M_INVALID_PARAM")
            bad["data"] = [:]
            try await expectError(bad, "M_MISSING_PARAM")
            bad = pusher
            bad["kind"] = "carrier-pigeon"
            try await expectError(bad, "M_INVALID_PARAM")
            bad = pusher
            bad["app_id"] = .string(String(repeating: "a", count: 65))
            try await expectError(bad, "M_INVALID_PARAM")
            #expect(try await client.call(.get, "\(base)/pushers").status == .unauthorized)
        }
        try await hs.close()
    }
}
