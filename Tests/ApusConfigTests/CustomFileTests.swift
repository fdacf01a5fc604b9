import ApusConfig
import MatrixProtocol
import Outbound
import Testing

@Suite struct CustomFileTests {
    static let custom = """
        server_name = "example.org:8448"
        data_dir = "/var/lib/apus"
        public_baseurl = "https://matrix.example.org"

        [database]
        path = "db/main.sqlite"
        synchronous = "normal"

        [signing]
        key_path = "/etc/apus/signing.key"

        [[listeners]]
        bind = "0.0.0.0"
        port = 443
        resources = ["client", "federation"]
        tls = true
        tls_certificate = "/etc/apus/tls.crt"
        tls_private_key = "tls.key"

        [[listeners]]
        bind = "::1"
        port = 9090
        resources = ["metrics"]

        [well_known]
        client_base_url = "https://client.example.org"
        server = "matrix.example.org:443"

        [registration]
        enabled = true
        require_token = true
        shared_secret = "s3cret"
        allow_guests = true

        [federation]
        enabled = false
        verify_tls = false
        extra_ca_files = ["ca/test-ca.pem"]
        allow_private_destinations = true
        trusted_key_servers = ["matrix.org", "keys.example.com:8448"]

        [rate_limits]
        enabled = false
        per_second = 2.5
        burst = 7

        [media]
        path = "/srv/media"
        max_upload_size = 1000
        max_image_pixels = 1000000

        [http]
        max_request_body_size = "2K"
        cors_allowed_origins = ["https://app.example.org"]

        [log]
        level = "debug"
        access_log = false
        """

    @Test func everyKeyIsRead() throws {
        let c = try parse(Self.custom)
        #expect(c.serverName == (try ServerName("example.org:8448")))
        #expect(c.dataDir == "/var/lib/apus")
        #expect(c.publicBaseURL == "https://matrix.example.org/")
        #expect(c.database == .init(path: "db/main.sqlite", synchronous: .normal))
        #expect(c.databasePath == "/var/lib/apus/db/main.sqlite")
        #expect(c.signingKeyPath == "/etc/apus/signing.key")
        #expect(c.listeners == [
            .init(bind: "0.0.0.0", port: 443, resources: [.client, .federation], tls: true,
                  tlsCertificate: "/etc/apus/tls.crt", tlsPrivateKey: "tls.key"),
            .init(bind: "::1", port: 9090, resources: [.metrics], tls: false),
        ])
        #expect(c.resolvePath(c.listeners[0].tlsPrivateKey!) == "/var/lib/apus/tls.key")
        #expect(c.wellKnown.clientBaseURL == "https://client.example.org/")
        #expect(c.clientBaseURL == "https://client.example.org/")
        #expect(c.wellKnown.server == (try ServerName("matrix.example.org:443")))
        #expect(c.registration == .init(enabled: true, requireToken: true, sharedSecret: "s3cret", allowGuests: true))
        #expect(c.federation == .init(
            enabled: false, verifyTLS: false, extraCAFiles: ["ca/test-ca.pem"], allowPrivateDestinations: true,
            trustedKeyServers: [try ServerName("matrix.org"), try ServerName("keys.example.com:8448")]))
        #expect(c.rateLimits == .init(enabled: false, perSecond: 2.5, burst: 7))
        #expect(c.media == .init(path: "/srv/media", maxUploadSize: 1000, maxImagePixels: 1_000_000))
        #expect(c.mediaPath == "/srv/media")
        #expect(c.http == .init(maxRequestBodySize: 2048, corsAllowedOrigins: ["https://app.example.org"]))
        #expect(c.log == .init(level: .debug, accessLog: false))
    }

    @Test func omittedKeysKeepDefaults() throws {
        let c = try parse("[registration]\nenabled = true\n")
        var expected = ApusConfiguration.defaults(baseDirectory: "/base")
        expected.registration.enabled = true
        #expect(c == expected)
    }

    @Test func inlineAndDottedFormsAreAccepted() throws {
        let c = try parse("""
            registration.enabled = true
            log = { level = "warning" }
            listeners = [{ port = 8448, resources = ["federation"] }, { port = 8008 }]
            """)
        #expect(c.registration.enabled)
        #expect(c.log.level == .warning)
        #expect(c.listeners.map(\.port) == [8448, 8008])
        #expect(c.listeners[0].resources == [.federation])
    }

    @Test func sizes() throws {
        #expect(try parse("[media]\nmax_upload_size = \"3K\"").media.maxUploadSize == 3 * 1024)
        #expect(try parse("[media]\nmax_upload_size = \"1G\"").media.maxUploadSize == 1 << 30)
        #expect(try parse("[media]\nmax_upload_size = \"7m\"").media.maxUploadSize == 7 << 20)
        #expect(try parse("[media]\nmax_upload_size = \"512\"").media.maxUploadSize == 512)
        #expect(try parse("[http]\nmax_request_body_size = 4096").http.maxRequestBodySize == 4096)
        #expect(try parse("[http]\nevent_loop_threads = 3").http.eventLoopThreads == 3)
    }

    @Test func urlPreviewSettings() throws {
        let media = try parse("""
            [media]
            url_preview_enabled = true
            url_preview_ip_range_blocklist = ["203.0.113.0/24", "2001:db8:1::/48"]
            url_preview_ip_range_allowlist = ["127.0.0.1"]
            """).media
        #expect(media.urlPreviewEnabled)
        #expect(media.urlPreviewIPRangeBlocklist == [IPRange("203.0.113.0/24")!, IPRange("2001:db8:1::/48")!])
        #expect(media.urlPreviewIPRangeAllowlist == [IPRange("127.0.0.1/32")!])
        #expect(media.outboundPolicy.allows(IPAddress("127.0.0.1")!))
        #expect(!media.outboundPolicy.allows(IPAddress("203.0.113.9")!))
    }

    @Test func integerRateIsAccepted() throws {
        #expect(try parse("[rate_limits]\nper_second = 3").rateLimits.perSecond == 3)
    }

    @Test func bracketedIPv6BindIsStoredBare() throws {
        #expect(try parse("[[listeners]]\nbind = \"[::]\"").listeners[0].bind == "::")
    }
}
