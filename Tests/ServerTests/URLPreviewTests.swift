import ApusConfig
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import MatrixProtocol
import Outbound
import Synchronization
import Testing

private let preview = "/_matrix/client/v1/media/preview_url"

/// A web site on 127.0.0.1 for previews to fetch, counting the requests per path.
final class TestSite: Sendable {
    let hits = Mutex<[String: Int]>([:])
    static let png = testImage(width: 40, height: 30, suffix: ".png")
    var image: [UInt8] { Self.png }

    func count(_ path: String) -> Int { hits.withLock { $0[path] ?? 0 } }

    static let page = """
        <!DOCTYPE html><html><head>
        <meta charset="utf-8">
        <title>Ignored when og:title exists</title>
        <!-- <meta property="og:title" content="commented out"> -->
        <script>var s = "<meta property='og:title' content='in a script'>";</script>
        <meta property="og:title" content="Tom &amp; Jerry&#8217;s &quot;Page&quot;">
        <meta property='og:description' content='A   description
           over lines &eacute;t&eacute;'>
        <META PROPERTY="og:image" CONTENT="/img.png">
        <meta property="og:image:width" content="1200">
        <meta property="og:site_name" content="Test Site">
        <meta property="og:type" content="website">
        <meta property="og:url" content="https://example.org/page">
        </head><body><h1>Hello</h1></body></html>
        """

    /// Serves the site on a random port of 127.0.0.1 while `body` runs.
    func serve(_ body: @Sendable (_ port: Int) async throws -> Void) async throws {
        let router = Router()
        let image = self.image
        router.middlewares.add(HitCounter(site: self))
        router.get("/page") { _, _ in Self.html(Self.page) }
        router.get("/img.png") { _, _ in
            Response(status: .ok, headers: [.contentType: "image/png"], body: .init(byteBuffer: ByteBuffer(bytes: image)))
        }
        router.get("/photo") { _, _ in
            Response(status: .ok, headers: [.contentType: "image/png"], body: .init(byteBuffer: ByteBuffer(bytes: image)))
        }
        router.get("/latin1") { _, _ in
            // "Café" and "Crème brûlée" in ISO-8859-1, no og tags: <title> and description serve.
            let html = "<html><head><title>\n  Caf\u{E9}  au lait </title><meta name=\"description\" content=\"Cr\u{E8}me br\u{FB}l\u{E9}e\"></head></html>"
            let bytes = html.unicodeScalars.map { UInt8($0.value) }
            return Response(status: .ok, headers: [.contentType: "text/html; charset=ISO-8859-1"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        router.get("/relative/dir/page") { _, _ in
            Self.html("<html><head><meta property=og:title content=Relative><meta property=og:image content=../../img.png></head></html>")
        }
        router.get("/redirect") { _, _ in Response(status: .found, headers: [.location: "/relative/dir/page"]) }
        router.get("/to-private") { _, _ in Response(status: .found, headers: [.location: "http://169.254.169.254/latest/meta-data/"]) }
        router.get("/missing") { _, _ in Response(status: .notFound) }
        router.get("/big") { _, _ in
            // The title is read; a tag past the 1 MiB cut is not.
            let padding = String(repeating: "<p>filler filler filler</p>\n", count: 60_000)
            return Self.html("<html><head><meta property=\"og:title\" content=\"Big\"></head><body>\(padding)"
                             + "<meta property=\"og:description\" content=\"beyond the cut\"></body></html>")
        }
        router.get("/pdf") { _, _ in Response(status: .ok, headers: [.contentType: "application/pdf"], body: .init(byteBuffer: ByteBuffer(string: "%PDF-1.4")) ) }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              logger: Logger(label: "test-site"))
        try await app.test(.live) { client in try await body(client.port!) }
    }

    static func html(_ text: String) -> Response {
        Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    struct HitCounter: RouterMiddleware {
        typealias Context = BasicRequestContext
        let site: TestSite
        func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
            site.hits.withLock { $0[request.uri.path, default: 0] += 1 }
            return try await next(request, context)
        }
    }
}

@Sendable func previewsOnLoopback(_ config: inout ApusConfiguration) {
    config.registration.enabled = true
    config.media.urlPreviewEnabled = true
    config.media.urlPreviewIPRangeAllowlist = [IPRange("127.0.0.1/32")!]
}

private func query(_ url: String) -> String { "\(preview)?url=\(url.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)" }

@Suite struct URLPreviewTests {
    @Test func previewsAPageWithItsImage() async throws {
        let site = TestSite()
        let hs = try await TestHomeserver.make(configure: previewsOnLoopback)
        try await site.serve { port in
            try await hs.test { client in
                let alice = try await registerUser(client, "alice")
                let (status, og) = try await client.call(.get, query("http://127.0.0.1:\(port)/page"), token: alice.token)
                #expect(status == .ok, "\(og)")
                #expect(og["og:title"] == "Tom & Jerry\u{2019}s \"Page\"")
                #expect(og["og:description"] == "A description over lines \u{E9}t\u{E9}")
                #expect(og["og:site_name"] == "Test Site")
                #expect(og["og:type"] == "website")
                #expect(og["og:url"] == "https://example.org/page")
                #expect(og["og:image:type"] == "image/png")
                #expect(og["matrix:image:size"]?.intValue == Int64(site.image.count))
                // The stored image's real size, not what the page claimed.
                #expect(og["og:image:width"]?.intValue == 40)
                #expect(og["og:image:height"]?.intValue == 30)
                let mxc = try #require(og["og:image"]?.stringValue)
                #expect(mxc.hasPrefix("mxc://localhost/"))
                let mediaID = String(mxc.split(separator: "/").last!)
                let download = try await client.media(.get, "/_matrix/client/v1/media/download/localhost/\(mediaID)", token: alice.token)
                #expect(download.status == .ok && download.bytes == site.image)
                // The legacy switch is off: the image is not served on the unauthenticated endpoint.
                let legacy = try await client.media(.get, "/_matrix/media/v3/download/localhost/\(mediaID)")
                #expect(legacy.status == .notFound)

                // Cached: the same answer without fetching again, also on the legacy endpoint.
                let again = try await client.call(.get, query("http://127.0.0.1:\(port)/page"), token: alice.token)
                #expect(again.json == og)
                let deprecated = try await client.call(.get, "/_matrix/media/v3/preview_url?url=http://127.0.0.1:\(port)/page",
                                                       token: alice.token)
                #expect(deprecated.status == .ok && deprecated.json == og)
                #expect(site.count("/page") == 1)
                #expect(site.count("/img.png") == 1)
            }
        }
        try await hs.close()
    }

    @Test func fallsBackToTitleAndDescriptionInLatin1() async throws {
        let site = TestSite()
        let hs = try await TestHomeserver.make(configure: previewsOnLoopback)
        try await site.serve { port in
            try await hs.test { client in
                let alice = try await registerUser(client, "alice")
                let (status, og) = try await client.call(.get, query("http://127.0.0.1:\(port)/latin1"), token: alice.token)
                #expect(status == .ok)
                #expect(og == ["og:title": "Caf\u{E9} au lait", "og:description": "Cr\u{E8}me br\u{FB}l\u{E9}e"])
            }
        }
        try await hs.close()
    }

    @Test func followsRedirectsAndResolvesRelativeImages() async throws {
        let site = TestSite()
        let hs = try await TestHomeserver.make(configure: previewsOnLoopback)
        try await site.serve { port in
            try await hs.test { client in
                let alice = try await registerUser(client, "alice")
                let (status, og) = try await client.call(.get, query("http://127.0.0.1:\(port)/redirect"), token: alice.token)
                #expect(status == .ok, "\(og)")
                #expect(og["og:title"] == "Relative")
                // "../../img.png" of /relative/dir/page (where the redirect led) is /img.png.
                #expect(og["og:image"]?.stringValue?.hasPrefix("mxc://localhost/") == true)
                #expect(site.count("/img.png") == 1)
            }
        }
        try await hs.close()
    }

    @Test func aURLThatIsAnImagePreviewsAsTheImage() async throws {
        let site = TestSite()
        let hs = try await TestHomeserver.make(configure: previewsOnLoopback)
        try await site.serve { port in
            try await hs.test { client in
                let alice = try await registerUser(client, "alice")
                let (status, og) = try await client.call(.get, query("http://127.0.0.1:\(port)/photo"), token: alice.token)
                #expect(status == .ok)
                #expect(og["og:image:type"] == "image/png" && og["og:image:width"]?.intValue == 40)
                #expect(og["matrix:image:size"]?.intValue == Int64(site.image.count))
                #expect(og["og:image"]?.stringValue?.hasPrefix("mxc://localhost/") == true)
                // Neither HTML nor an image: an empty preview, the body never read.
                let pdf = try await client.call(.get, query("http://127.0.0.1:\(port)/pdf"), token: alice.token)
                #expect(pdf.status == .ok && pdf.json.isEmpty)
            }
        }
        try await hs.close()
    }

    @Test func cutsAnOversizedPage() async throws {
        let site = TestSite()
        let hs = try await TestHomeserver.make(configure: previewsOnLoopback)
        try await site.serve { port in
            try await hs.test { client in
                let alice = try await registerUser(client, "alice")
                let (status, og) = try await client.call(.get, query("http://127.0.0.1:\(port)/big"), token: alice.token)
                #expect(status == .ok)
                #expect(og == ["og:title": "Big"])
            }
        }
        try await hs.close()
    }

    @Test func refusesBlockedAddresses() async throws {
        let site = TestSite()
        // Previews on, but loopback not allowed.
        let hs = try await TestHomeserver.make { config in
            config.registration.enabled = true
            config.media.urlPreviewEnabled = true
        }
        try await site.serve { port in
            try await hs.test { client in
                let alice = try await registerUser(client, "alice")
                var r = try await client.call(.get, query("http://127.0.0.1:\(port)/page"), token: alice.token)
                #expect(r.status == .forbidden && r.json["errcode"] == "M_FORBIDDEN")
                r = try await client.call(.get, query("http://[::ffff:127.0.0.1]:\(port)/page"), token: alice.token)
                #expect(r.status == .forbidden)
                // A name resolving to loopback answers like one that does not resolve.
                r = try await client.call(.get, query("http://localhost:\(port)/page"), token: alice.token)
                #expect(r.status == .badGateway && r.json["errcode"] == "M_UNKNOWN")
                #expect(r.json["error"] == "DNS resolution failure during URL preview generation")
                #expect(site.count("/page") == 0)
            }
        }
        try await hs.close()
    }

    @Test func refusesARedirectToABlockedAddress() async throws {
        let site = TestSite()
        let hs = try await TestHomeserver.make(configure: previewsOnLoopback)
        try await site.serve { port in
            try await hs.test { client in
                let alice = try await registerUser(client, "alice")
                let r = try await client.call(.get, query("http://127.0.0.1:\(port)/to-private"), token: alice.token)
                #expect(r.status == .forbidden && r.json["errcode"] == "M_FORBIDDEN")
                let missing = try await client.call(.get, query("http://127.0.0.1:\(port)/missing"), token: alice.token)
                #expect(missing.status == .badGateway && missing.json["errcode"] == "M_UNKNOWN")
            }
        }
        try await hs.close()
    }

    @Test func validatesTheRequest() async throws {
        let hs = try await TestHomeserver.make(configure: previewsOnLoopback)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice")
            for url in ["ftp://example.org/file", "file:///etc/passwd", "javascript:alert(1)", "not a url", "http://", "//example.org/"] {
                let r = try await client.call(.get, query(url), token: alice.token)
                #expect(r.status == .badRequest && r.json["errcode"] == "M_INVALID_PARAM", "\(url): \(r.json)")
            }
            var r = try await client.call(.get, preview, token: alice.token)
            #expect(r.status == .badRequest && r.json["errcode"] == "M_MISSING_PARAM")
            r = try await client.call(.get, query("https://example.org/") + "&ts=soon", token: alice.token)
            #expect(r.status == .badRequest && r.json["errcode"] == "M_INVALID_PARAM")
            r = try await client.call(.get, query("https://example.org/"))
            #expect(r.status == .unauthorized && r.json["errcode"] == "M_MISSING_TOKEN")
            r = try await client.call(.get, "/_matrix/media/r0/preview_url?url=https://example.org/")
            #expect(r.status == .unauthorized && r.json["errcode"] == "M_MISSING_TOKEN")
        }
        try await hs.close()
    }

    @Test func disabledAnswersLikeAnUnknownEndpoint() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice")
            for token in [alice.token, nil] {
                let r = try await client.call(.get, query("https://example.org/"), token: token)
                #expect(r.status == .notFound && r.json["errcode"] == "M_UNRECOGNIZED")
            }
        }
        try await hs.close()
    }
}
