import Foundation
import Hummingbird
import HummingbirdTesting
import MatrixProtocol
import Services
import Sodium
import Testing

@Suite struct EndpointTests {
    @Test func versionsListsSpecReleases() async throws {
        let hs = try await TestHomeserver.make()
        try await hs.test { client in
            try await client.execute(uri: "/_matrix/client/versions", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json")
                let versions = response.json["versions"]?.arrayValue?.compactMap(\.stringValue) ?? []
                #expect(versions.contains("v1.1"))
                #expect(versions.contains("v1.19"))
                #expect(response.json["unstable_features"]?.objectValue != nil)
            }
        }
        try await hs.close()
    }

    @Test func wellKnownClientUsesConfiguredBaseURL() async throws {
        let hs = try await TestHomeserver.make { $0.publicBaseURL = "https://matrix.example.org/" }
        try await hs.test { client in
            try await client.execute(uri: "/.well-known/matrix/client", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.json["m.homeserver"]?["base_url"]?.stringValue == "https://matrix.example.org/")
            }
            try await client.execute(uri: "/.well-known/matrix/server", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.json["errcode"]?.stringValue == "M_NOT_FOUND")
            }
        }
        try await hs.close()
    }

    @Test func wellKnownServerDelegation() async throws {
        let hs = try await TestHomeserver.make {
            $0.wellKnown.server = try! ServerName("matrix.example.org:443")
            $0.wellKnown.clientBaseURL = "https://client.example.org/"
        }
        try await hs.test { client in
            try await client.execute(uri: "/.well-known/matrix/server", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.json["m.server"]?.stringValue == "matrix.example.org:443")
            }
            try await client.execute(uri: "/.well-known/matrix/client", method: .get) { response in
                #expect(response.json["m.homeserver"]?["base_url"]?.stringValue == "https://client.example.org/")
            }
        }
        try await hs.close()
    }

    @Test func federationVersionOnlyOnFederationResource() async throws {
        let hs = try await TestHomeserver.make()
        try await hs.test(resources: [.federation]) { client in
            try await client.execute(uri: "/_matrix/federation/v1/version", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.json["server"]?["name"]?.stringValue == "Apus")
                #expect(response.json["server"]?["version"]?.stringValue == Homeserver.version)
            }
            // Client routes are not on a federation-only listener.
            try await client.execute(uri: "/_matrix/client/versions", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.json["errcode"]?.stringValue == "M_UNRECOGNIZED")
            }
        }
        try await hs.test(resources: [.client]) { client in
            try await client.execute(uri: "/_matrix/federation/v1/version", method: .get) { response in
                #expect(response.status == .notFound)
            }
            // Key lookups work on a client-only listener, as with Synapse.
            try await client.execute(uri: "/_matrix/key/v2/server", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
        try await hs.close()
    }
}

@Suite struct KeyServerTests {
    @Test func keyResponseIsSelfSignedAndValid() async throws {
        let key = SigningKey.generate()
        let hs = try await TestHomeserver.make(signingKey: key)
        try await hs.test { client in
            for uri in ["/_matrix/key/v2/server", "/_matrix/key/v2/server/\(key.keyID)"] {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .ok)
                    let body = response.json
                    #expect(body["server_name"]?.stringValue == "localhost")
                    #expect(body["valid_until_ts"]?.intValue == TestHomeserver.now + ServerKeys.validity)
                    let published = try #require(body["verify_keys"]?[key.keyID]?["key"]?.stringValue)
                    #expect(published == key.publicKeyBase64)
                    let publicKey = try #require(Base64.decode(published))
                    try JSONSigning.verify(body, entity: "localhost", keyID: key.keyID, publicKey: publicKey)
                    #expect(body["old_verify_keys"]?.objectValue?.isEmpty == true)
                }
            }
        }
        try await hs.close()
    }

    @Test func rotatedKeyAppearsInOldVerifyKeys() async throws {
        let first = SigningKey.generate(), second = SigningKey.generate()
        let hs1 = try await TestHomeserver.make(signingKey: first)
        try await hs1.homeserver.database.close()
        let hs2 = try await TestHomeserver.make(signingKey: second, directory: hs1.directory)
        try await hs2.test { client in
            try await client.execute(uri: "/_matrix/key/v2/server", method: .get) { response in
                let body = response.json
                #expect(body["verify_keys"]?.objectValue?.keys == [second.keyID])
                let old = try #require(body["old_verify_keys"]?[first.keyID])
                #expect(old["key"]?.stringValue == first.publicKeyBase64)
                #expect(old["expired_ts"]?.intValue == TestHomeserver.now)
                try JSONSigning.verify(body, entity: "localhost", keyID: second.keyID, publicKey: second.keyPair.publicKey)
            }
        }
        try await hs2.close()
    }
}
