import ApusConfig
import Foundation
import Logging
import MatrixProtocol
import Outbound
import Testing
@testable import FederationClient

/// A client as "origin.test" talking to local test servers.
func makeClient(verifyTLS: Bool = true, caFiles: [String] = [TestCertificates.shared.caCert], allowPrivate: Bool = true,
                enabled: Bool = true, backoff: DestinationBackoff = DestinationBackoff(),
                lookUpSRV: @escaping ServerResolver.SRVLookup = { _ in [] },
                wellKnownPort: Int = 443, bodyLimit: Int = FederationHTTPClient.maxBodySize) -> (FederationHTTPClient, SigningKey) {
    let key = SigningKey.generate()
    let config = ApusConfiguration.Federation(enabled: enabled, verifyTLS: verifyTLS, allowPrivateDestinations: allowPrivate)
    let client = FederationHTTPClient(serverName: try! ServerName("origin.test"), signingKey: key, config: config,
                                      caFilePaths: caFiles, logger: Logger(label: "test"), backoff: backoff,
                                      lookUpSRV: lookUpSRV, wellKnownPort: wellKnownPort, bodyLimit: bodyLimit)
    return (client, key)
}

func withServer(cert: String = TestCertificates.shared.leafCert, key: String = TestCertificates.shared.leafKey,
                respond: @escaping @Sendable (RecordedRequest) -> TestResponse = { _ in .json(#"{"ok":true}"#) },
                _ body: (TestTLSServer) async throws -> Void) async throws {
    let server = try await TestTLSServer(cert: cert, key: key, respond: respond)
    do {
        try await body(server)
    } catch {
        await server.stop()
        throw error
    }
    await server.stop()
}

@Suite struct FederationHTTPClientTests {
    @Test func signedRequestCarriesAVerifiableXMatrixHeader() async throws {
        try await withServer { server in
            let (client, key) = makeClient()
            let destination = try ServerName("127.0.0.1:\(server.port)")
            let path = "/_matrix/federation/v1/send/txn%201?x=%21a"
            let body: JSONValue = ["pdus": [], "edus": [["edu_type": "m.typing"]]]
            let answer = try await client.json(to: destination, method: "PUT", path: path, body: body)
            #expect(answer["ok"] == true)
            let request = try #require(server.requests.first)
            #expect(request.method == "PUT")
            #expect(request.uri == path)
            #expect(request.header("Host") == "127.0.0.1:\(server.port)")
            #expect(request.header("Content-Type") == "application/json")
            let auth = try #require(request.header("Authorization").flatMap(XMatrixAuthorization.init(header:)))
            #expect(auth.origin == "origin.test")
            #expect(auth.destination == "127.0.0.1:\(server.port)")
            #expect(auth.keyID == key.keyID)
            let received = try JSONParser.parse(request.body)
            #expect(received == body)
            #expect(auth.verifies(method: "PUT", uri: path, destination: destination.description, content: received,
                                  publicKey: key.keyPair.publicKey))
            #expect(!auth.verifies(method: "PUT", uri: path + "&y=1", destination: destination.description, content: received,
                                   publicKey: key.keyPair.publicKey))
            await client.shutdown()
        }
    }

    @Test func unsignedGetHasNoAuthorizationAndNoBody() async throws {
        try await withServer { server in
            let (client, _) = makeClient()
            let response = try await client.send(to: try ServerName("127.0.0.1:\(server.port)"), method: "GET",
                                                 path: "/_matrix/key/v2/server", signed: false)
            #expect(response.status == 200)
            #expect(response.header("content-type") == "application/json")
            let request = try #require(server.requests.first)
            #expect(request.header("Authorization") == nil)
            #expect(request.body.isEmpty)
            await client.shutdown()
        }
    }

    @Test func keepAliveReusesOneConnection() async throws {
        try await withServer { server in
            let (client, _) = makeClient()
            let destination = try ServerName("127.0.0.1:\(server.port)")
            for i in 0..<3 {
                _ = try await client.json(to: destination, method: "GET", path: "/_matrix/federation/v1/version?i=\(i)")
            }
            #expect(server.requests.count == 3)
            #expect(server.connections == 1)
            #expect(Set(server.requests.map(\.connection)) == [1])
            await client.shutdown()
        }
    }

    @Test func concurrentRequestsOpenMoreConnectionsAndAllAnswer() async throws {
        try await withServer { server in
            let (client, _) = makeClient()
            let destination = try ServerName("127.0.0.1:\(server.port)")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<20 {
                    group.addTask { _ = try await client.json(to: destination, method: "GET", path: "/v?i=\(i)") }
                }
                try await group.waitForAll()
            }
            #expect(server.requests.count == 20)
            #expect(server.connections <= 8)
            await client.shutdown()
        }
    }

    @Test func connectionClosedByTheServerIsReplaced() async throws {
        try await withServer(respond: { _ in TestResponse(chunks: [Array("{}".utf8)], close: true) }) { server in
            let (client, _) = makeClient()
            let destination = try ServerName("127.0.0.1:\(server.port)")
            _ = try await client.json(to: destination, method: "GET", path: "/a")
            _ = try await client.json(to: destination, method: "GET", path: "/b")
            #expect(server.connections == 2)
            await client.shutdown()
        }
    }

    @Test func reusedConnectionClosedByTheServerIsRetriedOnANewOne() async throws {
        try await withServer(respond: { request in
            request.connection == 1 && request.uri == "/second" ? TestResponse(drop: true) : .json(#"{"ok":true}"#)
        }) { server in
            let (client, _) = makeClient()
            let destination = try ServerName("127.0.0.1:\(server.port)")
            _ = try await client.json(to: destination, method: "GET", path: "/first")
            let answer = try await client.json(to: destination, method: "PUT", path: "/second", body: ["a": 1])
            #expect(answer["ok"] == true)
            #expect(server.requests.map(\.connection) == [1, 1, 2])
            #expect(server.requests.last?.body == Array(#"{"a":1}"#.utf8))
            await client.shutdown()
        }
    }

    @Test func silentServerTimesOut() async throws {
        try await withServer(respond: { _ in TestResponse(hang: true) }) { server in
            let (client, _) = makeClient()
            let destination = try ServerName("127.0.0.1:\(server.port)")
            let start = ContinuousClock.now
            let error = await caught {
                _ = try await client.send(to: destination, method: "GET", path: "/x", timeout: .seconds(1))
            }
            #expect(error?.unreachableReason?.contains("timed out") == true, "\(String(describing: error))")
            // The 1 s timeout ended the wait, not the test's own limit (generous: CI machines are busy).
            #expect(ContinuousClock.now - start < .seconds(30))
            #expect(client.isBackingOff(destination))
            await client.shutdown()
        }
    }

    @Test func oversizedBodyIsRefused() async throws {
        try await withServer(respond: { _ in TestResponse(chunks: Array(repeating: Array(repeating: 0x20, count: 1000), count: 3),
                                                          chunked: true) }) { server in
            let (client, _) = makeClient(bodyLimit: 2048)
            let destination = try ServerName("127.0.0.1:\(server.port)")
            let error = await caught {
                _ = try await client.send(to: destination, method: "GET", path: "/x")
            }
            #expect(error?.badResponseReason?.contains("larger than 2048") == true, "\(String(describing: error))")
            await client.shutdown()
        }
    }

    @Test func chunkedResponseIsReassembled() async throws {
        let chunks = [#"{"chunks":["#, #""one","#, #""two"]}"#].map { Array($0.utf8) }
        try await withServer(respond: { _ in TestResponse(chunks: chunks, chunked: true) }) { server in
            let (client, _) = makeClient()
            let destination = try ServerName("127.0.0.1:\(server.port)")
            let answer = try await client.json(to: destination, method: "GET", path: "/chunked")
            #expect(answer["chunks"] == ["one", "two"])
            _ = try await client.json(to: destination, method: "GET", path: "/chunked")
            #expect(server.connections == 1)
            await client.shutdown()
        }
    }

    @Test func errorAnswerIsHTTPErrorWithErrcode() async throws {
        try await withServer(respond: { _ in .json(#"{"errcode":"M_FORBIDDEN","error":"no"}"#, status: 403) }) { server in
            let (client, _) = makeClient()
            let destination = try ServerName("127.0.0.1:\(server.port)")
            let error = await caught {
                _ = try await client.json(to: destination, method: "GET", path: "/x")
            }
            #expect(error?.isHTTP(403, errcode: "M_FORBIDDEN", error: "no") == true)
            #expect(!client.isBackingOff(destination))
            await client.shutdown()
        }
    }

    @Test func nonJSONAnswerIsBadResponse() async throws {
        try await withServer(respond: { _ in TestResponse(chunks: [Array("hello".utf8)]) }) { server in
            let (client, _) = makeClient()
            let destination = try ServerName("127.0.0.1:\(server.port)")
            let error = await caught {
                _ = try await client.json(to: destination, method: "GET", path: "/x")
            }
            #expect(error?.badResponseReason != nil)
            await client.shutdown()
        }
    }

    // MARK: TLS

    @Test func untrustedCertificateIsUnreachableWithATLSReason() async throws {
        try await withServer { server in
            let (client, _) = makeClient(caFiles: [])
            let destination = try ServerName("127.0.0.1:\(server.port)")
            let error = await caught {
                _ = try await client.send(to: destination, method: "GET", path: "/x")
            }
            #expect(error?.unreachableReason?.contains("TLS") == true, "\(String(describing: error))")
            #expect(server.requests.isEmpty)
            #expect(client.isBackingOff(destination))
            await client.shutdown()
        }
    }

    @Test func selfSignedLeafListedAsCAFileIsItsOwnAnchor() async throws {
        let certs = TestCertificates.shared
        try await withServer(cert: certs.selfSignedCert, key: certs.selfSignedKey) { server in
            let (client, _) = makeClient(caFiles: [certs.selfSignedCert])
            _ = try await client.json(to: try ServerName("127.0.0.1:\(server.port)"), method: "GET", path: "/x")
            await client.shutdown()
        }
    }

    @Test func hostnameIsVerifiedWithSNI() async throws {
        try await withServer { server in
            let (client, _) = makeClient()
            // localhost may resolve to ::1 first, where nothing listens: the next address is tried.
            _ = try await client.json(to: try ServerName("localhost:\(server.port)"), method: "GET", path: "/x")
            #expect(server.requests.first?.header("Host") == "localhost:\(server.port)")
            await client.shutdown()
        }
    }

    @Test func ipLiteralNeedsAnIPAddressInTheCertificate() async throws {
        let certs = TestCertificates.shared
        try await withServer(cert: certs.dnsOnlyCert, key: certs.dnsOnlyKey) { server in
            let (client, _) = makeClient(caFiles: [certs.dnsOnlyCert])
            let destination = try ServerName("127.0.0.1:\(server.port)")
            let error = await caught {
                _ = try await client.send(to: destination, method: "GET", path: "/x")
            }
            #expect(error?.unreachableReason?.contains("TLS") == true, "\(String(describing: error))")
            // The same certificate is fine for the name it carries.
            _ = try await client.json(to: try ServerName("localhost:\(server.port)"), method: "GET", path: "/x")
            await client.shutdown()
        }
    }

    /// NIOSSL alone would accept this certificate for any name resolving to 127.0.0.1.
    @Test func anIPEntryDoesNotStandInForTheExpectedName() async throws {
        let certs = TestCertificates.shared
        try await withServer(cert: certs.otherNameCert, key: certs.otherNameKey) { server in
            let (client, _) = makeClient(caFiles: [certs.otherNameCert])
            let destination = try ServerName("localhost:\(server.port)")
            let error = await caught {
                _ = try await client.send(to: destination, method: "GET", path: "/x")
            }
            #expect(error?.unreachableReason?.contains("other.example") == true, "\(String(describing: error))")
            #expect(server.requests.isEmpty)
            // For the IP literal the IP entry is what counts.
            _ = try await client.json(to: try ServerName("127.0.0.1:\(server.port)"), method: "GET", path: "/x")
            await client.shutdown()
        }
    }

    @Test func certificateNameMatching() {
        #expect(CertificateHostname.matches(["example.org"], host: "EXAMPLE.org."))
        #expect(CertificateHostname.matches(["other.org", "*.example.org"], host: "matrix.example.org"))
        #expect(!CertificateHostname.matches(["*.example.org"], host: "example.org"))
        #expect(!CertificateHostname.matches(["*.example.org"], host: "a.b.example.org"))
        #expect(!CertificateHostname.matches(["*.org"], host: "example.org"))
        #expect(!CertificateHostname.matches([], host: "example.org"))
        #expect(!CertificateHostname.matches(["127.0.0.1"], host: "localhost"))
    }

    @Test func verifyTLSOffAcceptsAnyCertificate() async throws {
        let certs = TestCertificates.shared
        try await withServer(cert: certs.dnsOnlyCert, key: certs.dnsOnlyKey) { server in
            let (client, _) = makeClient(verifyTLS: false, caFiles: [])
            _ = try await client.json(to: try ServerName("127.0.0.1:\(server.port)"), method: "GET", path: "/x")
            await client.shutdown()
        }
    }

    @Test func unreadableCAFileFailsRequestsClearly() async throws {
        let (client, _) = makeClient(caFiles: ["/nonexistent/ca.pem"])
        let destination = try ServerName("127.0.0.1:1")
        let error = await caught {
            _ = try await client.send(to: destination, method: "GET", path: "/x")
        }
        #expect(error?.unreachableReason?.contains("/nonexistent/ca.pem") == true)
        await client.shutdown()
    }

    // MARK: Policy

    @Test func privateDestinationsAreRefused() async throws {
        try await withServer { server in
            let (client, _) = makeClient(allowPrivate: false)
            for name in ["127.0.0.1:\(server.port)", "localhost:\(server.port)", "[::1]:\(server.port)"] {
                let destination = try ServerName(name)
                let error = await caught {
                    _ = try await client.send(to: destination, method: "GET", path: "/x")
                }
                #expect(error?.refusedReason != nil, "\(name): \(String(describing: error))")
            }
            #expect(server.connections == 0)
            #expect(!client.isBackingOff(try ServerName("127.0.0.1:\(server.port)")))
            await client.shutdown()
        }
    }

    @Test func disabledFederationIsRefused() async throws {
        let (client, _) = makeClient(enabled: false)
        let destination = try ServerName("example.org")
        let error = await caught {
            _ = try await client.send(to: destination, method: "GET", path: "/x")
        }
        #expect(error?.refusedReason == "federation is disabled")
        await client.shutdown()
    }

    // MARK: Backoff

    @Test func failedDestinationIsBackedOffUntilMarkedReachable() async throws {
        let (client, _) = makeClient(backoff: DestinationBackoff(base: .seconds(60), cap: .seconds(600)))
        let port = try await closedPort()
        let destination = try ServerName("127.0.0.1:\(port)")
        #expect(!client.isBackingOff(destination))
        let error = await caught {
            _ = try await client.send(to: destination, method: "GET", path: "/x")
        }
        #expect(error?.unreachableReason?.contains("connect") == true, "\(String(describing: error))")
        #expect(client.isBackingOff(destination))
        let again = await caught {
            _ = try await client.send(to: destination, method: "GET", path: "/x")
        }
        #expect(again?.unreachableReason?.hasPrefix("backing off") == true)
        client.markReachable(destination)
        #expect(!client.isBackingOff(destination))
        await client.shutdown()
    }

    @Test func backoffExpiresAndSuccessClearsIt() async throws {
        try await withServer { server in
            let backoff = DestinationBackoff(base: .milliseconds(1), cap: .seconds(1))
            let (client, _) = makeClient(backoff: backoff)
            let destination = try ServerName("127.0.0.1:\(server.port)")
            let key = destination.description
            backoff.noteFailure(key)
            try await Task.sleep(for: .milliseconds(20))
            #expect(!client.isBackingOff(destination))
            backoff.noteFailure(key)  // after the first delay: doubled
            try await Task.sleep(for: .milliseconds(20))
            _ = try await client.json(to: destination, method: "GET", path: "/x")
            let now = ContinuousClock.now
            backoff.noteFailure(key, now: now)
            #expect(backoff.retryAt(key, now: now) == now + .milliseconds(1))  // the success reset the doubling
            await client.shutdown()
        }
    }

    @Test func backoffDoublesUpToTheCap() {
        let backoff = DestinationBackoff(base: .seconds(2), cap: .seconds(10))
        var now = ContinuousClock.now
        var delays: [Duration] = []
        for _ in 0..<5 {
            backoff.noteFailure("x", now: now)
            let retryAt = backoff.retryAt("x", now: now)!
            delays.append(retryAt - now)
            backoff.noteFailure("x", now: now)  // a concurrent failure does not escalate
            #expect(backoff.retryAt("x", now: now) == retryAt)
            now = retryAt
        }
        #expect(delays == [.seconds(2), .seconds(4), .seconds(8), .seconds(10), .seconds(10)])
    }
}

/// A local port with nothing listening (bound, then released).
func closedPort() async throws -> Int {
    let socket = try await TestTLSServer(cert: TestCertificates.shared.leafCert, key: TestCertificates.shared.leafKey) { _ in TestResponse() }
    let port = socket.port
    await socket.stop()
    return port
}

/// The error `body` threw, if any.
func caught(_ body: () async throws -> Void) async -> FederationClientError? {
    do {
        try await body()
        return nil
    } catch {
        return error as? FederationClientError ?? .badResponse("not a FederationClientError: \(error)")
    }
}

extension FederationClientError {
    var unreachableReason: String? { if case .unreachable(let reason) = self { reason } else { nil } }
    var refusedReason: String? { if case .refused(let reason) = self { reason } else { nil } }
    var badResponseReason: String? { if case .badResponse(let reason) = self { reason } else { nil } }

    func isHTTP(_ status: Int, errcode: String?, error: String?) -> Bool {
        if case .http(status, errcode, error, _) = self { true } else { false }
    }
}
