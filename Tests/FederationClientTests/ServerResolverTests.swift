import MatrixProtocol
import Synchronization
import Testing
@testable import FederationClient

/// The discovery decision table, with well-known answers and SRV records injected.
@Suite struct ServerResolverTests {
    /// Records the lookups made and answers from fixed tables.
    final class FakeNetwork: Sendable {
        let wellKnown: [String: String]
        let srv: [String: [SRVRecord]]
        let calls = Mutex<[String]>([])

        init(wellKnown: [String: String] = [:], srv: [String: [SRVRecord]] = [:]) {
            self.wellKnown = wellKnown
            self.srv = srv
        }

        func resolver() -> ServerResolver {
            ServerResolver(
                fetchWellKnown: { host in
                    self.calls.withLock { $0.append("well-known \(host)") }
                    guard let text = self.wellKnown[host] else { return .failure }
                    return WellKnownResult.interpret(status: 200, headers: [], body: Array(text.utf8))
                },
                lookUpSRV: { name in
                    self.calls.withLock { $0.append("srv \(name)") }
                    return self.srv[name] ?? []
                })
        }
    }

    func resolve(_ name: String, _ network: FakeNetwork = FakeNetwork()) async throws -> ResolvedServer {
        try await network.resolver().resolve(ServerName(name))
    }

    func server(_ endpoints: [(String, Int)], tls: String?, host: String) -> ResolvedServer {
        ResolvedServer(endpoints: endpoints.map { .init(host: $0.0, port: $0.1) }, tlsName: tls, hostHeader: host)
    }

    @Test func ipLiteralsAreUsedDirectlyWithoutSNI() async throws {
        let network = FakeNetwork(wellKnown: ["1.2.3.4": #"{"m.server":"x.org"}"#])
        #expect(try await resolve("1.2.3.4", network) == server([("1.2.3.4", 8448)], tls: nil, host: "1.2.3.4"))
        #expect(try await resolve("1.2.3.4:8000", network) == server([("1.2.3.4", 8000)], tls: nil, host: "1.2.3.4:8000"))
        #expect(try await resolve("[2001:db8::1]", network) == server([("[2001:db8::1]", 8448)], tls: nil, host: "[2001:db8::1]"))
        #expect(try await resolve("[::1]:9", network) == server([("[::1]", 9)], tls: nil, host: "[::1]:9"))
        #expect(network.calls.withLock { $0 }.isEmpty)
    }

    @Test func explicitPortSkipsDiscovery() async throws {
        let network = FakeNetwork(wellKnown: ["example.org": #"{"m.server":"x.org"}"#])
        #expect(try await resolve("example.org:8000", network) == server([("example.org", 8000)], tls: "example.org",
                                                                          host: "example.org:8000"))
        #expect(network.calls.withLock { $0 }.isEmpty)
    }

    @Test func delegationToAnIPLiteral() async throws {
        let network = FakeNetwork(wellKnown: ["example.org": #"{"m.server":"5.6.7.8:9000"}"#, "b.org": #"{"m.server":"[2001:db8::2]"}"#])
        #expect(try await resolve("example.org", network) == server([("5.6.7.8", 9000)], tls: nil, host: "5.6.7.8:9000"))
        #expect(try await resolve("b.org", network) == server([("[2001:db8::2]", 8448)], tls: nil, host: "[2001:db8::2]"))
    }

    @Test func delegationWithAPortConnectsThereWithoutSRV() async throws {
        let network = FakeNetwork(wellKnown: ["example.org": #"{"m.server":"matrix.example.org:443"}"#],
                                  srv: ["_matrix-fed._tcp.matrix.example.org": [SRVRecord(priority: 1, weight: 1, port: 1, target: "no")]])
        #expect(try await resolve("example.org", network)
            == server([("matrix.example.org", 443)], tls: "matrix.example.org", host: "matrix.example.org:443"))
        #expect(network.calls.withLock { $0 } == ["well-known example.org"])
    }

    @Test func delegationWithoutAPortUsesMatrixFedSRV() async throws {
        let network = FakeNetwork(
            wellKnown: ["example.org": #"{"m.server":"matrix.example.org"}"#],
            srv: ["_matrix-fed._tcp.matrix.example.org": [SRVRecord(priority: 10, weight: 0, port: 8449, target: "b.example.net"),
                                                          SRVRecord(priority: 5, weight: 0, port: 8448, target: "a.example.net")],
                  "_matrix._tcp.matrix.example.org": [SRVRecord(priority: 1, weight: 0, port: 1, target: "legacy.example.net")]])
        #expect(try await resolve("example.org", network)
            == server([("a.example.net", 8448), ("b.example.net", 8449)], tls: "matrix.example.org", host: "matrix.example.org"))
        #expect(network.calls.withLock { $0 } == ["well-known example.org", "srv _matrix-fed._tcp.matrix.example.org"])
    }

    @Test func delegationFallsBackToLegacySRVThen8448() async throws {
        let legacy = FakeNetwork(wellKnown: ["example.org": #"{"m.server":"m.example.org"}"#],
                                 srv: ["_matrix._tcp.m.example.org": [SRVRecord(priority: 1, weight: 0, port: 7000, target: "old.example.net")]])
        #expect(try await resolve("example.org", legacy) == server([("old.example.net", 7000)], tls: "m.example.org", host: "m.example.org"))
        let none = FakeNetwork(wellKnown: ["example.org": #"{"m.server":"m.example.org"}"#])
        #expect(try await resolve("example.org", none) == server([("m.example.org", 8448)], tls: "m.example.org", host: "m.example.org"))
        #expect(none.calls.withLock { $0 } == ["well-known example.org", "srv _matrix-fed._tcp.m.example.org",
                                               "srv _matrix._tcp.m.example.org"])
    }

    @Test func withoutWellKnownSRVOnTheNameItself() async throws {
        let fed = FakeNetwork(srv: ["_matrix-fed._tcp.example.org": [SRVRecord(priority: 0, weight: 0, port: 443, target: "hs.example.net")]])
        #expect(try await resolve("example.org", fed) == server([("hs.example.net", 443)], tls: "example.org", host: "example.org"))
        let legacy = FakeNetwork(srv: ["_matrix._tcp.example.org": [SRVRecord(priority: 0, weight: 0, port: 444, target: "hs.example.net")]])
        #expect(try await resolve("example.org", legacy) == server([("hs.example.net", 444)], tls: "example.org", host: "example.org"))
        let none = FakeNetwork()
        #expect(try await resolve("example.org", none) == server([("example.org", 8448)], tls: "example.org", host: "example.org"))
    }

    @Test(arguments: [#"{"m.server":""}"#, #"{"m.server":"bad name!"}"#, #"{"m.server":"x.org:0"}"#, #"{"m.server":5}"#,
                      #"{"other":"x.org"}"#, #"["x.org"]"#, "not json"])
    func invalidWellKnownIsIgnored(_ body: String) async throws {
        let network = FakeNetwork(wellKnown: ["example.org": body])
        #expect(try await resolve("example.org", network) == server([("example.org", 8448)], tls: "example.org", host: "example.org"))
    }

    @Test func resolutionsAreCachedAndShared() async throws {
        let network = FakeNetwork(wellKnown: ["example.org": #"{"m.server":"m.example.org:8448"}"#])
        let resolver = network.resolver()
        let name = try ServerName("example.org")
        async let a = resolver.resolve(name)
        async let b = resolver.resolve(name)
        let (first, second) = await (a, b)
        #expect(first == second)
        _ = await resolver.resolve(name)
        #expect(network.calls.withLock { $0 } == ["well-known example.org"])
        resolver.forget(name)
        _ = await resolver.resolve(name)
        #expect(network.calls.withLock { $0 }.count == 2)
    }

    @Test func cacheLifetimeIsTheShortestInvolved() async throws {
        let network = FakeNetwork(wellKnown: ["example.org": #"{"m.server":"m.example.org"}"#],
                                  srv: ["_matrix-fed._tcp.m.example.org": [SRVRecord(priority: 0, weight: 0, port: 1, target: "t",
                                                                                     ttl: .seconds(120))]])
        let (_, lifetime) = await network.resolver().discover(try ServerName("example.org"))
        #expect(lifetime == .seconds(120))
        let failed = await FakeNetwork().resolver().discover(try ServerName("example.org"))
        #expect(failed.1 == .seconds(3600))
    }
}
