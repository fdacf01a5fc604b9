import Foundation
import NIOCore
import NIOSSL
@testable import Outbound
import Testing
import TestSupport

@Suite struct OutboundHTTPClientTests {
    static let loopback = AddressPolicy(allowed: [IPRange("127.0.0.1/32")!])

    func client(policy: AddressPolicy = loopback, resolver: any HostResolver = SystemHostResolver(),
                timeout: TimeAmount = .seconds(30), roots: [NIOSSLCertificate] = []) -> OutboundHTTPClient {
        OutboundHTTPClient(policy: policy, userAgent: "ApusTest/1", timeout: timeout, resolver: resolver, additionalTrustRoots: roots)
    }

    func get(_ client: OutboundHTTPClient, _ url: String, max: Int = 1 << 20, truncate: Bool = false) async throws(OutboundError) -> OutboundResponse {
        try await client.send(OutboundRequest(url: HTTPURL(url)!)) { _ in .read(max: max, truncate: truncate) }
    }

    @Test func getsAndSendsHeaders() async throws {
        let server = try await TestServer { _ in Reply(body: Array("hello".utf8)) }
        defer { Task { await server.stop() } }
        let response = try await get(client(), "http://127.0.0.1:\(server.port)/a%20b?x=1#frag")
        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self) == "hello")
        let request = try #require(server.received.first)
        #expect(request.uri == "/a%20b?x=1")
        #expect(request.header("User-Agent") == "ApusTest/1")
        #expect(request.header("Host") == "127.0.0.1:\(server.port)")
    }

    @Test func postsABody() async throws {
        let server = try await TestServer { request in Reply(body: request.body) }
        defer { Task { await server.stop() } }
        let response = try await client().send(OutboundRequest(method: "POST", url: HTTPURL("http://127.0.0.1:\(server.port)/p")!,
                                                               headers: [("Content-Type", "application/json")], body: Array("{}".utf8)),
                                               followRedirects: false) { _ in .read(max: 100, truncate: false) }
        #expect(response.body == Array("{}".utf8))
        #expect(server.received.first?.method == "POST")
    }

    @Test func refusesLoopbackWithoutTheAllowList() async throws {
        let server = try await TestServer { _ in Reply() }
        defer { Task { await server.stop() } }
        await #expect(throws: OutboundError.blockedAddress(host: "127.0.0.1", literal: true)) {
            try await get(client(policy: AddressPolicy()), "http://127.0.0.1:\(server.port)/")
        }
        #expect(server.received.isEmpty)
    }

    @Test func refusesANameIfAnyAddressIsBlocked() async throws {
        let server = try await TestServer { _ in Reply() }
        defer { Task { await server.stop() } }
        // Allowed 127.0.0.1 plus a blocked address: refused before any connection.
        let resolver = FixedResolver(table: ["mixed.test": [IPAddress("127.0.0.1")!, IPAddress("10.0.0.1")!],
                                             "good.test": [IPAddress("127.0.0.1")!],
                                             "mapped.test": [IPAddress("::ffff:169.254.169.254")!]])
        let c = client(resolver: resolver)
        await #expect(throws: OutboundError.blockedAddress(host: "mixed.test", literal: false)) {
            try await get(c, "http://mixed.test:\(server.port)/")
        }
        await #expect(throws: OutboundError.blockedAddress(host: "mapped.test", literal: false)) {
            try await get(c, "http://mapped.test:\(server.port)/")
        }
        #expect(server.received.isEmpty)
        // The checked address is the one connected to; the Host header keeps the name.
        let response = try await get(c, "http://good.test:\(server.port)/")
        #expect(response.status == 200)
        #expect(server.received.first?.header("Host") == "good.test:\(server.port)")
    }

    @Test func oddLoopbackSpellingsAreResolvedThenRefused() async throws {
        // Not strict literals, so they go to getaddrinfo, which reads them as 127.0.0.1 (inet_aton
        // forms): what is judged is the resolved address, never the text.
        let strict = client(policy: AddressPolicy())
        for host in ["127.1", "0177.0.0.1", "0x7f.0.0.1", "2130706433", "localhost"] {
            await #expect(throws: OutboundError.blockedAddress(host: host, literal: false), "\(host)") {
                try await get(strict, "http://\(host):9/")
            }
        }
    }

    @Test func followsRedirectsAndChecksEveryHop() async throws {
        let server = try await TestServer { request in
            switch request.uri {
            case "/start": .redirect("/next", status: 301)
            case "/next": .redirect("http://127.0.0.1:\(request.header("Host")!.split(separator: ":").last!)/end", status: 307)
            case "/private": .redirect("http://10.0.0.1/admin")
            case "/loop": .redirect("/loop")
            default: Reply(body: Array("end".utf8))
            }
        }
        defer { Task { await server.stop() } }
        let c = client()
        let response = try await get(c, "http://127.0.0.1:\(server.port)/start")
        #expect(String(decoding: response.body, as: UTF8.self) == "end")
        #expect(response.url.target == "/end")
        await #expect(throws: OutboundError.blockedAddress(host: "10.0.0.1", literal: true)) {
            try await get(c, "http://127.0.0.1:\(server.port)/private")
        }
        await #expect(throws: OutboundError.tooManyRedirects(5)) {
            try await get(c, "http://127.0.0.1:\(server.port)/loop")
        }
        #expect(server.received.filter { $0.uri == "/loop" }.count == 6)
    }

    @Test func capsTheBody() async throws {
        let big = [UInt8](repeating: 65, count: 300_000)
        let server = try await TestServer { request in
            request.uri == "/chunked" ? Reply(body: big, chunkSize: 8192) : Reply(body: big)
        }
        defer { Task { await server.stop() } }
        let c = client()
        let cut = try await get(c, "http://127.0.0.1:\(server.port)/chunked", max: 10_000, truncate: true)
        #expect(cut.body.count == 10_000)
        #expect(cut.truncated)
        await #expect(throws: OutboundError.tooLarge(10_000)) {
            try await get(c, "http://127.0.0.1:\(server.port)/chunked", max: 10_000)
        }
        await #expect(throws: OutboundError.tooLarge(10_000)) {
            try await get(c, "http://127.0.0.1:\(server.port)/length", max: 10_000)
        }
        let whole = try await get(c, "http://127.0.0.1:\(server.port)/length", max: 300_000)
        #expect(whole.body.count == 300_000 && !whole.truncated)
    }

    @Test func timesOut() async throws {
        let server = try await TestServer { _ in Reply(hang: true) }
        defer { Task { await server.stop() } }
        let start = ContinuousClock.now
        await #expect(throws: OutboundError.timedOut) {
            try await get(client(timeout: .milliseconds(300)), "http://127.0.0.1:\(server.port)/")
        }
        // The 300 ms deadline ended the wait, not a test limit (generous: CI machines are busy).
        #expect(ContinuousClock.now - start < .seconds(30))
    }

    @Test func connectionRefusedIsUnreachable() async throws {
        let server = try await TestServer { _ in Reply() }
        let port = server.port
        await server.stop()
        do {
            _ = try await get(client(), "http://127.0.0.1:\(port)/")
            Issue.record("expected a failure")
        } catch {
            guard case .unreachable = error else { Issue.record("unexpected \(error)"); return }
        }
    }

    @Test func verifiesTLSNames() async throws {
        let certs = try TLSTestCertificates.make()
        let tls = try NIOSSLContext(configuration: .makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certs.cert).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: certs.key, format: .pem))))
        let server = try await TestServer(tls: tls) { _ in Reply(body: Array("secure".utf8)) }
        defer { Task { await server.stop() } }
        let roots = try NIOSSLCertificate.fromPEMFile(certs.cert)
        let resolver = FixedResolver(table: ["site.test": [IPAddress("127.0.0.1")!], "other.test": [IPAddress("127.0.0.1")!]])
        let c = client(resolver: resolver, roots: roots)
        let response = try await get(c, "https://site.test:\(server.port)/")
        #expect(String(decoding: response.body, as: UTF8.self) == "secure")
        // The certificate names site.test (and 127.0.0.1), not other.test: refused.
        do {
            _ = try await get(c, "https://other.test:\(server.port)/")
            Issue.record("a certificate for another name was accepted")
        } catch {
            guard case .unreachable(let reason) = error else { Issue.record("unexpected \(error)"); return }
            #expect(reason.contains("names [\"site.test\"], not other.test"))
        }
        // Not in the trust store: refused.
        do {
            _ = try await get(client(resolver: resolver), "https://site.test:\(server.port)/")
            Issue.record("an untrusted certificate was accepted")
        } catch {
            guard case .unreachable = error else { Issue.record("unexpected \(error)"); return }
        }
    }
}

/// A self-signed certificate for site.test and 127.0.0.1, made with the system's openssl.
enum TLSTestCertificates {
    static func make() throws -> (cert: String, key: String) {
        let directory = NSTemporaryDirectory() + "apus-outbound-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try OpenSSL.selfSigned(cert: directory + "/cert.pem", key: directory + "/key.pem", commonName: "site.test",
                               extensions: ["subjectAltName=DNS:site.test,IP:127.0.0.1"])
        return (directory + "/cert.pem", directory + "/key.pem")
    }
}
