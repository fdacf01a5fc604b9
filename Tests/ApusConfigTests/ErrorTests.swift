import ApusConfig
import Testing

/// Every kind of problem is reported with its key path and line.
@Suite struct ErrorTests {
    @Test func unknownTopLevelKey() {
        let found = issues("server_name = \"a.example\"\nservr_name = \"b\"\n")
        #expect(found == [.init(kind: .unknownKey, key: "servr_name", line: 2,
                                message: "unknown key (did you mean \"server_name\"?)")])
    }

    @Test func unknownKeyInTable() {
        let found = issues("""
            # comment
            [registration]
            enabled = true
            enabeld = false
            """)
        #expect(found.map(\.key) == ["registration.enabeld"])
        #expect(found.map(\.line) == [4])
        #expect(found.first?.kind == .unknownKey)
    }

    @Test func unknownTable() {
        let found = issues("[registraton]\nenabled = true\n")
        #expect(found.map(\.key) == ["registraton"])
        #expect(found.map(\.line) == [1])
    }

    @Test func unknownKeyInSecondListener() {
        let found = issues("""
            [[listeners]]
            port = 8008

            [[listeners]]
            bind = "0.0.0.0"
            prot = 8448
            """)
        #expect(found.map(\.key) == ["listeners[1].prot"])
        #expect(found.map(\.line) == [6])
        #expect(found.first?.message == "unknown key (did you mean \"port\"?)")
    }

    @Test func unknownKeyInInlineTable() {
        let found = issues("listeners = [\n  { port = 8008 },\n  { prot = 1 },\n]\n")
        #expect(found.map(\.key) == ["listeners[1].prot"])
        #expect(found.map(\.line) == [3])
    }

    @Test func wrongType() {
        let found = issues("[registration]\nenabled = \"yes\"\n")
        #expect(found == [.init(kind: .wrongType, key: "registration.enabled", line: 2,
                                message: "expected a boolean, found a string")])
    }

    @Test func wrongTypeForTable() {
        let found = issues("database = \"apus.db\"\n")
        #expect(found == [.init(kind: .wrongType, key: "database", line: 1,
                                message: "expected a table, found a string")])
    }

    @Test func wrongTypeInArrayElement() {
        let found = issues("[federation]\ntrusted_key_servers = [\n  \"matrix.org\",\n  42,\n]\n")
        #expect(found.map(\.key) == ["federation.trusted_key_servers[1]"])
        #expect(found.map(\.line) == [4])
        #expect(found.first?.kind == .wrongType)
    }

    @Test func badServerName() {
        let found = issues("server_name = \"bad name!\"\n")
        #expect(found.map(\.key) == ["server_name"])
        #expect(found.map(\.line) == [1])
        #expect(found.first?.kind == .invalidValue)
        #expect(found.first?.message.hasPrefix("expected a server name") == true)
    }

    @Test func badDelegationAndKeyServer() {
        let found = issues("""
            [well_known]
            server = "host:99999"
            [federation]
            trusted_key_servers = ["ok.example", "not ok"]
            """)
        #expect(found.map(\.key) == ["well_known.server", "federation.trusted_key_servers[1]"])
        #expect(found.map(\.line) == [2, 4])
    }

    @Test func badPublicBaseURL() {
        let found = issues("\npublic_baseurl = \"ftp://example.org/\"\n")
        #expect(found.map(\.key) == ["public_baseurl"])
        #expect(found.map(\.line) == [2])
    }

    @Test func badPort() {
        let found = issues("[[listeners]]\nport = 0\n[[listeners]]\nport = 70000\n")
        #expect(found == [
            .init(kind: .invalidValue, key: "listeners[0].port", line: 2, message: "expected an integer 1-65535, found 0"),
            .init(kind: .invalidValue, key: "listeners[1].port", line: 4, message: "expected an integer 1-65535, found 70000"),
        ])
    }

    @Test func badEventLoopThreads() {
        #expect(issues("[http]\nevent_loop_threads = -1\n") == [
            .init(kind: .invalidValue, key: "http.event_loop_threads", line: 2, message: "expected an integer 0-256, found -1"),
        ])
        #expect(issues("[http]\nevent_loop_threads = \"two\"\n").map(\.key) == ["http.event_loop_threads"])
    }

    @Test func automaticEventLoopThreadsLeaveACoreToTheWriter() {
        let automatic = ApusConfiguration.HTTP()
        #expect(automatic.eventLoopThreadCount(cores: 1) == 1)
        #expect(automatic.eventLoopThreadCount(cores: 2) == 1)
        #expect(automatic.eventLoopThreadCount(cores: 8) == 7)
        #expect(ApusConfiguration.HTTP(eventLoopThreads: 4).eventLoopThreadCount(cores: 2) == 4)
    }

    @Test func badBind() {
        let found = issues("[[listeners]]\nbind = \"1.2.3.4:80\"\n[[listeners]]\nbind = \"::1::2::\"\n")
        #expect(found.map(\.key) == ["listeners[0].bind", "listeners[1].bind"])
        #expect(found.map(\.line) == [2, 4])
        #expect(found.allSatisfy { $0.kind == .invalidValue })
    }

    @Test func tlsWithoutCertificate() {
        let found = issues("""
            [[listeners]]
            port = 8448
            tls = true
            tls_private_key = "key.pem"
            """)
        #expect(found == [.init(kind: .invalidValue, key: "listeners[0].tls", line: 3,
                                message: "tls = true needs tls_certificate")])
    }

    @Test func badResources() {
        let found = issues("""
            [[listeners]]
            resources = ["client", "clients"]
            [[listeners]]
            port = 1
            resources = ["client", "client"]
            [[listeners]]
            port = 2
            resources = []
            """)
        #expect(found.map(\.key) == ["listeners[0].resources[1]", "listeners[1].resources[1]", "listeners[2].resources"])
        #expect(found.map(\.line) == [2, 5, 8])
    }

    @Test func badSizeString() {
        let found = issues("[media]\nmax_upload_size = \"50MB\"\n[http]\nmax_request_body_size = 0\n")
        #expect(found.map(\.key) == ["media.max_upload_size", "http.max_request_body_size"])
        #expect(found.map(\.line) == [2, 4])
        #expect(found.allSatisfy { $0.kind == .invalidValue })
        #expect(found.first?.message.contains("expected a size") == true)
    }

    @Test func badIPRange() {
        let found = issues("[media]\nurl_preview_ip_range_allowlist = [\"10.0.0.0/8\", \"10.0.0.0/33\", \"example.org\"]\n")
        #expect(found.map(\.key) == ["media.url_preview_ip_range_allowlist[1]", "media.url_preview_ip_range_allowlist[2]"])
        #expect(found.allSatisfy { $0.kind == .invalidValue && $0.line == 2 })
        #expect(found.first?.message.contains("CIDR") == true)
    }

    @Test func sizeOfWrongType() {
        let found = issues("[media]\nmax_upload_size = true\n")
        #expect(found.map(\.key) == ["media.max_upload_size"])
        #expect(found.first?.kind == .wrongType)
        #expect(found.first?.line == 2)
    }

    @Test func badLogLevel() {
        let found = issues("[log]\nlevel = \"verbose\"\n")
        #expect(found == [.init(
            kind: .invalidValue, key: "log.level", line: 2,
            message: "expected one of \"trace\", \"debug\", \"info\", \"notice\", \"warning\", \"error\", \"critical\", found \"verbose\"")])
    }

    @Test func nonPositiveRateLimits() {
        let found = issues("[rate_limits]\nper_second = 0.0\nburst = -1\n")
        #expect(found.map(\.key) == ["rate_limits.per_second", "rate_limits.burst"])
        #expect(found.map(\.line) == [2, 3])
    }

    @Test func duplicateListener() {
        let found = issues("""
            [[listeners]]
            port = 8008

            [[listeners]]
            bind = "0.0.0.0"
            port = 8008

            [[listeners]]
            port = 8008
            resources = ["metrics"]
            """)
        #expect(found == [.init(kind: .invalidValue, key: "listeners[2]", line: 8,
                                message: "127.0.0.1:8008 is already used by listeners[0]")])
    }

    @Test func emptyListenerArray() {
        let found = issues("listeners = []\n")
        #expect(found.map(\.key) == ["listeners"])
        #expect(found.map(\.line) == [1])
    }

    @Test func syntaxError() {
        let found = issues("server_name = \"a\"\n\n[registration\nenabled = true\n")
        #expect(found.count == 1)
        #expect(found.first?.kind == .syntax)
        #expect(found.first?.key == "")
        #expect(found.first?.line == 3)
    }

    @Test func allProblemsAreReportedInFileOrder() {
        let text = """
            server_name = "bad name"
            [registration]
            enabeld = true
            [[listeners]]
            prot = 1
            [log]
            level = 3
            """
        let found = issues(text)
        #expect(found.map(\.key) == ["server_name", "registration.enabeld", "listeners[0].prot", "log.level"])
        #expect(found.map(\.line) == [1, 3, 5, 7])
        #expect(found.map(\.kind) == [.invalidValue, .unknownKey, .unknownKey, .wrongType])
    }

    @Test func descriptionHasOneLinePerIssue() throws {
        do {
            _ = try ApusConfiguration.parse(toml: "[registration]\nenabeld = true\nfoo = 1\n", baseDirectory: "/", fileName: "apus.toml")
            Issue.record("expected an error")
        } catch {
            #expect(error.description == """
                apus.toml:2: registration.enabeld: unknown key (did you mean "enabled"?)
                apus.toml:3: registration.foo: unknown key
                """)
        }
    }
}
