import ApusConfig
import Foundation
import MatrixProtocol
import Testing

@Suite struct DefaultsTests {
    @Test func embeddedDefaults() throws {
        let c = ApusConfiguration.defaults(baseDirectory: "/srv")
        #expect(c.serverName == (try ServerName("localhost")))
        #expect(c.dataDir == "/srv/apus-data")
        #expect(c.publicBaseURL == "http://localhost:8008/")
        #expect(c.database.path == "apus.db")
        #expect(c.database.synchronous == .full)
        #expect(c.signing.keyPath == "signing.key")
        #expect(c.listeners == [.init(bind: "127.0.0.1", port: 8008, resources: [.client], tls: false)])
        #expect(c.wellKnown.clientBaseURL == nil)
        #expect(c.wellKnown.server == nil)
        #expect(c.clientBaseURL == "http://localhost:8008/")
        #expect(c.registration == .init(enabled: false, requireToken: false, sharedSecret: "", allowGuests: false))
        #expect(c.federation.enabled && c.federation.verifyTLS && !c.federation.allowPrivateDestinations)
        #expect(c.federation.extraCAFiles.isEmpty && c.federation.trustedKeyServers.isEmpty)
        #expect(c.rateLimits == .init(enabled: true, perSecond: 10, burst: 50))
        #expect(c.media == .init(path: "media", maxUploadSize: 50 * 1024 * 1024, maxImagePixels: 32_000_000))
        #expect(c.http == .init(maxRequestBodySize: 1024 * 1024, corsAllowedOrigins: ["*"]))
        #expect(c.log == .init(level: .info, accessLog: true))
        #expect(c.databasePath == "/srv/apus-data/apus.db")
        #expect(c.signingKeyPath == "/srv/apus-data/signing.key")
        #expect(c.mediaPath == "/srv/apus-data/media")
    }

    @Test func defaultsUseTheWorkingDirectory() {
        let cwd = FileManager.default.currentDirectoryPath
        #expect(ApusConfiguration.defaults == ApusConfiguration.defaults(baseDirectory: cwd))
        #expect(ApusConfiguration.defaults.dataDir.hasPrefix("/"))
    }

    @Test func emptyFileGivesDefaults() throws {
        #expect(try parse("") == .defaults(baseDirectory: "/base"))
        #expect(try parse("# nothing but a comment\n") == .defaults(baseDirectory: "/base"))
    }

    @Test func defaultFileTextParsesToDefaults() throws {
        let parsed = try ApusConfiguration.parse(toml: ApusConfiguration.defaultFileText, baseDirectory: "/var/lib/x")
        #expect(parsed == .defaults(baseDirectory: "/var/lib/x"))
    }

    @Test func defaultFileTextMentionsEveryKey() {
        let keys = [
            "server_name", "data_dir", "public_baseurl", "[database]", "synchronous", "[signing]", "key_path",
            "[[listeners]]", "bind", "port", "resources", "tls", "tls_certificate", "tls_private_key",
            "[well_known]", "client_base_url", "server =", "[registration]", "enabled", "require_token",
            "shared_secret", "allow_guests", "[federation]", "verify_tls", "extra_ca_files",
            "allow_private_destinations", "trusted_key_servers", "[rate_limits]", "per_second", "burst",
            "[media]", "max_upload_size", "max_image_pixels", "allow_legacy_unauthenticated", "url_preview_enabled",
            "url_preview_ip_range_blocklist", "url_preview_ip_range_allowlist", "[http]", "max_request_body_size",
            "cors_allowed_origins", "event_loop_threads", "[log]", "level", "access_log",
        ]
        for key in keys {
            #expect(ApusConfiguration.defaultFileText.contains(key), "missing \(key)")
        }
    }

    @Test func configDirectoryCopyIsIdentical() throws {
        // Tests/ApusConfigTests/DefaultsTests.swift -> package root.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let file = try Data(contentsOf: root.appendingPathComponent("Config/apus.toml"))
        #expect(file == Data(ApusConfiguration.defaultFileText.utf8))
    }
}
