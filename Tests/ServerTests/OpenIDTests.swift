import Foundation
import Hummingbird
import HummingbirdTesting
import MatrixProtocol
import Services
import Testing

private let base = "/_matrix/client/v3"

@Suite struct OpenIDTests {
    @Test func tokenIsExchangedForTheUserUntilItExpires() async throws {
        let clock = TestClock()
        let hs = try await TestHomeserver.make(configure: openRegistration, clock: clock.clock)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice")
            let issued = try await client.call(.post, "\(base)/user/\(enc(alice.userID))/openid/request_token", token: alice.token, body: [:])
            #expect(issued.status == .ok, "request_token: \(issued.json)")
            #expect(issued.json["token_type"] == "Bearer" && issued.json["matrix_server_name"] == "localhost")
            #expect(issued.json["expires_in"] == 3600)
            let token = issued.json["access_token"]?.stringValue ?? ""
            #expect(!token.isEmpty)

            // Not an X-Matrix request: the third party has only the token.
            let info = try await client.call(.get, "/_matrix/federation/v1/openid/userinfo?access_token=\(token)")
            #expect(info.status == .ok && info.json["sub"] == .string(alice.userID), "userinfo: \(info.json)")

            // An OpenID token opens nothing in the Client-Server API.
            let whoami = try await client.call(.get, "\(base)/account/whoami", token: token)
            #expect(whoami.status == .unauthorized && whoami.json["errcode"] == "M_UNKNOWN_TOKEN")

            clock.now += 3600 * 1000
            let expired = try await client.call(.get, "/_matrix/federation/v1/openid/userinfo?access_token=\(token)")
            #expect(expired.status == .unauthorized && expired.json["errcode"] == "M_UNKNOWN_TOKEN")
        }
        try await hs.close()
    }

    @Test func errors() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice")
            let bob = try await registerUser(client, "bob")
            let other = try await client.call(.post, "\(base)/user/\(enc(bob.userID))/openid/request_token", token: alice.token, body: [:])
            #expect(other.status == .forbidden && other.json["errcode"] == "M_FORBIDDEN")
            let anonymous = try await client.call(.post, "\(base)/user/\(enc(alice.userID))/openid/request_token", body: [:])
            #expect(anonymous.status == .unauthorized && anonymous.json["errcode"] == "M_MISSING_TOKEN")
            let notJSON = try await client.call(.post, "\(base)/user/\(enc(alice.userID))/openid/request_token", token: alice.token,
                                                rawBody: "{nope")
            #expect(notJSON.status == .badRequest && notJSON.json["errcode"] == "M_NOT_JSON")
            let unknown = try await client.call(.get, "/_matrix/federation/v1/openid/userinfo?access_token=nope")
            #expect(unknown.status == .unauthorized && unknown.json["errcode"] == "M_UNKNOWN_TOKEN")
            let missing = try await client.call(.get, "/_matrix/federation/v1/openid/userinfo")
            #expect(missing.status == .unauthorized && missing.json["errcode"] == "M_MISSING_TOKEN")
        }
        try await hs.close()
    }
}
