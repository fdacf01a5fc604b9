import Foundation
import MatrixProtocol
import Testing
@testable import FederationClient

@Suite struct WellKnownTests {
    let now = Date(timeIntervalSince1970: 1_700_000_000)

    @Test func validAnswer() throws {
        let result = WellKnownResult.interpret(status: 200, headers: [], body: Array(#"{"m.server":"matrix.example.org:443"}"#.utf8))
        #expect(result.server == (try ServerName("matrix.example.org:443")))
        #expect(result.cacheFor == .seconds(24 * 3600))
    }

    @Test func errorsAreCachedOneHour() {
        for (status, body) in [(404, #"{"m.server":"a.org"}"#), (200, "{}"), (200, "[]"), (200, #"{"m.server":"a b"}"#)] {
            #expect(WellKnownResult.interpret(status: status, headers: [], body: Array(body.utf8)) == .failure)
        }
        #expect(WellKnownResult.failure.cacheFor == .seconds(3600))
    }

    @Test func lifetimeFollowsCacheHeadersWithinBounds() {
        func life(_ headers: [(String, String)]) -> Duration { WellKnownResult.lifetime(headers: headers, now: now) }
        #expect(life([]) == .seconds(86400))
        #expect(life([("Cache-Control", "public, max-age=7200")]) == .seconds(7200))
        #expect(life([("cache-control", "max-age=999999999")]) == .seconds(48 * 3600))
        #expect(life([("Cache-Control", "max-age=10")]) == .seconds(300))
        #expect(life([("Cache-Control", "no-store")]) == .seconds(300))
        #expect(life([("Expires", "Wed, 15 Nov 2023 01:13:20 GMT")]) == .seconds(3 * 3600))  // now + 3 h
        #expect(life([("Expires", "garbage")]) == .seconds(300))
        #expect(life([("Cache-Control", "max-age=600"), ("Expires", "Wed, 15 Nov 2023 01:13:20 GMT")]) == .seconds(600))
    }

    @Test func redirectsStayOnHTTPS() {
        let current = (host: "example.org", port: 443, path: "/.well-known/matrix/server")
        #expect(WellKnownFetcher.redirect("/elsewhere", from: current).map { "\($0.host) \($0.port) \($0.path)" } == "example.org 443 /elsewhere")
        #expect(WellKnownFetcher.redirect("https://www.example.org:8443/wk?a=1", from: current).map { "\($0.host) \($0.port) \($0.path)" }
            == "www.example.org 8443 /wk?a=1")
        #expect(WellKnownFetcher.redirect("http://www.example.org/wk", from: current) == nil)
    }

    @Test func fetchFollowsRedirectsOverTLS() async throws {
        try await withServer(respond: { request in
            switch request.uri {
            case "/.well-known/matrix/server":
                TestResponse(status: 301, headers: [("Location", "/moved")], chunks: [])
            case "/moved":
                .json(#"{"m.server":"localhost:1234"}"#)
            default:
                .json("{}", status: 404)
            }
        }) { server in
            let (client, _) = makeClient(wellKnownPort: server.port)
            let fetcher = WellKnownFetcher(connector: client.connector, userAgent: "test", port: server.port)
            let result = await fetcher.fetch("localhost")
            let expected = try ServerName("localhost:1234")
            #expect(result.server == expected)
            #expect(server.requests.map(\.uri) == ["/.well-known/matrix/server", "/moved"])
            #expect(server.requests.first?.header("Host") == "localhost:\(server.port)")
            await client.shutdown()
        }
    }

    @Test func redirectLoopIsAFailure() async throws {
        try await withServer(respond: { _ in TestResponse(status: 302, headers: [("Location", "/.well-known/matrix/server")], chunks: []) }) { server in
            let (client, _) = makeClient(wellKnownPort: server.port)
            let fetcher = WellKnownFetcher(connector: client.connector, userAgent: "test", port: server.port)
            #expect(await fetcher.fetch("localhost") == .failure)
            #expect(server.requests.count == 1)
            await client.shutdown()
        }
    }

    /// The whole chain: well-known on the bare name names a port, requests go there.
    @Test func sendDiscoversThroughWellKnown() async throws {
        let port = PortBox()
        try await withServer(respond: { request in
            request.uri == "/.well-known/matrix/server" ? .json(#"{"m.server":"localhost:\#(port.value)"}"#) : .json(#"{"ok":true}"#)
        }) { server in
            port.value = server.port
            let (client, _) = makeClient(wellKnownPort: server.port)
            let answer = try await client.json(to: try ServerName("localhost"), method: "GET", path: "/_matrix/federation/v1/version")
            #expect(answer["ok"] == true)
            let request = try #require(server.requests.last)
            #expect(request.header("Host") == "localhost:\(server.port)")
            let auth = try #require(request.header("Authorization").flatMap(XMatrixAuthorization.init(header:)))
            #expect(auth.destination == "localhost")
            await client.shutdown()
        }
    }

    /// Without well-known, SRV names the port; Host and certificate stay the server name.
    @Test func sendDiscoversThroughSRV() async throws {
        try await withServer(respond: { request in
            request.uri == "/.well-known/matrix/server" ? .json("{}", status: 404) : .json(#"{"ok":true}"#)
        }) { server in
            let port = server.port
            let (client, _) = makeClient(lookUpSRV: { name in
                name == "_matrix-fed._tcp.localhost" ? [SRVRecord(priority: 0, weight: 0, port: port, target: "localhost.")] : []
            }, wellKnownPort: server.port)
            let answer = try await client.json(to: try ServerName("localhost"), method: "GET", path: "/v")
            #expect(answer["ok"] == true)
            #expect(server.requests.last?.header("Host") == "localhost")
            await client.shutdown()
        }
    }
}

final class PortBox: @unchecked Sendable {
    var value = 0  // set before any request that reads it
}
