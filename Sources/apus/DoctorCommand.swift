import ApusConfig
import ArgumentParser
import FederationClient
import Foundation
import Logging
import MatrixProtocol
import NIOSSL
import Services
import Store

/// `apus doctor`: checks a deployment as a remote server and a client would see it.
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check this deployment the way other servers and clients see it, and explain what to fix.",
        discussion: """
            Checks: the configuration; the database (quick_check, schema version); the signing key;
            how the server name resolves (well-known, port) and whether that address answers
            /_matrix/key/v2/server signed with our key; the TLS certificates of the listeners (valid
            for the name, not expiring within 14 days); the client .well-known against public_baseurl.
            Exits 1 when anything is wrong. Run it while the server is up.
            """)

    @OptionGroup var options: ConfigOption
    @Flag(help: "Print the findings as JSON.") var json = false

    struct Finding {
        enum Level: String { case ok, warning, error }
        let check: String
        let level: Level
        let message: String
        let fix: String?
    }

    func run() async throws {
        var findings: [Finding] = []
        func add(_ check: String, _ level: Finding.Level, _ message: String, fix: String? = nil) {
            findings.append(Finding(check: check, level: level, message: message, fix: fix))
        }
        let config: ApusConfiguration
        do {
            config = try options.config.map { try ApusConfiguration.load(fromFile: $0) } ?? .defaults
            add("config", .ok, options.config.map { "\($0) is valid" } ?? "no --config: checking the embedded defaults")
        } catch {
            add("config", .error, "the configuration has problems: \(error)", fix: "fix the keys named above (apus check-config shows them)")
            return report(findings)
        }
        let key = checkSigningKey(config, add)
        await checkDatabase(config, add)
        checkCertificates(config, add)
        if let key { await checkFederation(config, key: key, add) }
        await checkClientWellKnown(config, add)
        report(findings)
    }

    func checkSigningKey(_ config: ApusConfiguration, _ add: (String, Finding.Level, String, String?) -> Void) -> SigningKey? {
        guard let text = try? String(contentsOfFile: config.signingKeyPath, encoding: .utf8) else {
            add("signing key", .error, "cannot read \(config.signingKeyPath)", "start the server once to create it, or check the file's owner and mode")
            return nil
        }
        do {
            let key = try SigningKey(fileContents: text)
            add("signing key", .ok, "\(key.keyID) in \(config.signingKeyPath)", nil)
            return key
        } catch {
            add("signing key", .error, "\(config.signingKeyPath) is not a valid key: \(error)", "restore it from a backup: a new key breaks other servers' trust")
            return nil
        }
    }

    func checkDatabase(_ config: ApusConfiguration, _ add: (String, Finding.Level, String, String?) -> Void) async {
        guard FileManager.default.fileExists(atPath: config.databasePath) else {
            add("database", .error, "no database at \(config.databasePath)", "start the server once, or point [database] path at the right file")
            return
        }
        do {
            var logger = Logger(label: "apus.doctor")
            logger.logLevel = .error
            let database = try Database(path: config.databasePath, logger: logger)
            let check = try await database.quickCheck()
            let applied = try await database.appliedMigrations()
            try await database.close()
            if check == ["ok"] {
                add("database", .ok, "quick_check ok; schema at migration \(applied.last ?? "none") (\(applied.count) applied)", nil)
            } else {
                add("database", .error, "quick_check found damage: \(check.prefix(5).joined(separator: "; "))",
                    "stop the server and restore the latest backup (apus restore)")
            }
        } catch {
            add("database", .error, "cannot open \(config.databasePath): \(error)", "check the file's owner and mode, and free disk space")
        }
    }

    func checkCertificates(_ config: ApusConfiguration, _ add: (String, Finding.Level, String, String?) -> Void) {
        let host = config.serverName.host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        for listener in config.listeners where listener.tls {
            let name = "tls \(listener.bind):\(listener.port)"
            guard let path = listener.tlsCertificate.map(config.resolvePath),
                  let cert = try? NIOSSLCertificate.fromPEMFile(path).first else {
                add(name, .error, "cannot read the certificate \(listener.tlsCertificate ?? "(none)")", "set tls_certificate to a PEM file")
                continue
            }
            let expires = Date(timeIntervalSince1970: TimeInterval(cert.notValidAfter))
            let days = Int(expires.timeIntervalSinceNow / 86_400)
            if expires < Date() {
                add(name, .error, "the certificate expired on \(expires)", "renew it (e.g. certbot renew) and restart or reload the server")
            } else if days < 14 {
                add(name, .warning, "the certificate expires in \(days) days (\(expires))", "renew it now")
            } else {
                add(name, .ok, "the certificate is valid until \(expires)", nil)
            }
            let names = Self.subjectNames(cert)
            if listener.resources.contains(.federation), !names.contains(where: { Self.matches($0, host) }) {
                add(name, .error, "the certificate names \(names.joined(separator: ", ")), not \(host)",
                    "get a certificate for \(host), or delegate federation with .well-known to a name the certificate has")
            }
        }
    }

    static func subjectNames(_ cert: NIOSSLCertificate) -> [String] {
        cert._subjectAlternativeNames().compactMap { san in
            san.contents.withUnsafeBufferPointer { bytes -> String? in
                switch san.nameType {
                case .dnsName: return String(decoding: bytes, as: UTF8.self)
                case .ipAddress where bytes.count == 4: return bytes.map(String.init).joined(separator: ".")
                case .ipAddress where bytes.count == 16:
                    return stride(from: 0, to: 16, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }.joined(separator: ":")
                default: return nil
                }
            }
        }
    }

    static func matches(_ pattern: String, _ host: String) -> Bool {
        let p = pattern.lowercased(), h = host.lowercased()
        if p == h || (h == "::1" && p == "0:0:0:0:0:0:0:1") { return true }
        if p.hasPrefix("*."), let dot = h.firstIndex(of: ".") { return h[h.index(after: dot)...] == p.dropFirst(2) }
        return false
    }

    func checkFederation(_ config: ApusConfiguration, key: SigningKey, _ add: (String, Finding.Level, String, String?) -> Void) async {
        guard config.federation.enabled else {
            add("federation", .ok, "federation is off: no remote checks", nil)
            return
        }
        var federation = config.federation
        federation.allowPrivateDestinations = true  // we are checking ourselves
        let logger = Logger(label: "apus.doctor")
        let client = FederationHTTPClient(serverName: config.serverName, signingKey: key, config: federation,
                                          caFilePaths: federation.extraCAFiles.map(config.resolvePath), logger: logger)
        defer { Task { await client.shutdown() } }
        let resolved = await client.resolver.resolve(config.serverName)
        let address = resolved.endpoints.map { "\($0.host):\($0.port)" }.joined(separator: ", ")
        add("server name", .ok, "\(config.serverName) resolves to \(address)", nil)
        do {
            let answer = try await client.json(to: config.serverName, method: "GET", path: "/_matrix/key/v2/server", signed: false,
                                               timeout: .seconds(10))
            let published = answer["verify_keys"]?[key.keyID]?["key"]?.stringValue
            if answer["server_name"]?.stringValue != config.serverName.description {
                add("key endpoint", .error, "\(address) answers for \(answer["server_name"]?.stringValue ?? "?"), another server",
                    "point the server name (DNS, .well-known or port) at this server")
            } else if published != key.publicKeyBase64 {
                add("key endpoint", .error, "the key server answers with other keys than \(config.signingKeyPath)",
                    "make sure the running server uses this configuration and key")
            } else if (try? JSONSigning.verify(answer, entity: config.serverName.description, keyID: key.keyID,
                                               publicKey: key.keyPair.publicKey)) == nil {
                add("key endpoint", .error, "the key response is not signed by \(key.keyID)", "restart the server; report a bug if it persists")
            } else {
                add("key endpoint", .ok, "/_matrix/key/v2/server answers, signed by \(key.keyID)", nil)
            }
        } catch {
            add("key endpoint", .error, "other servers cannot fetch our keys at https://\(address): \(error)",
                "start the server with a federation listener on that port, open the firewall, and use a certificate valid for \(config.serverName.host)")
        }
    }

    /// What clients find at `https://<server name host>/.well-known/matrix/client` (and what we
    /// serve at public_baseurl) must name public_baseurl.
    func checkClientWellKnown(_ config: ApusConfiguration, _ add: (String, Finding.Level, String, String?) -> Void) async {
        let expected = config.publicBaseURL.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        let host = config.serverName.host
        // Well-known files live at the root of a host, whatever path public_baseurl has.
        var root = URLComponents(string: expected) ?? URLComponents()
        root.path = "/.well-known/matrix/client"
        for (where_, url) in [("https://\(host)", "https://\(host)/.well-known/matrix/client"),
                              ("the host of public_baseurl", root.string ?? expected)] {
            guard let answer = try? await CLIHTTP.request("GET", url, timeout: .seconds(5)), answer.status == 200 else {
                add("client well-known", .warning, "\(url) does not answer: clients that only know the server name cannot find this server",
                    "serve /.well-known/matrix/client at \(where_) (Apus serves it on its client listener) or tell users the homeserver URL")
                continue
            }
            let base = (try? JSONParser.parseObject(answer.body))?["m.homeserver"]?["base_url"]?.stringValue ?? ""
            if base.trimmingCharacters(in: CharacterSet(charactersIn: "/")) == expected {
                add("client well-known", .ok, "\(url) names \(expected)", nil)
            } else {
                add("client well-known", .error, "\(url) names \(base.isEmpty ? "no homeserver" : base), not public_baseurl \(expected)",
                    "make [well_known] client_base_url (or the file served there) and public_baseurl the same URL")
            }
        }
    }

    func report(_ findings: [Finding]) {
        let failed = findings.contains { $0.level == .error }
        if json {
            let list: [JSONValue] = findings.map { f in
                var o: JSONObject = ["check": .string(f.check), "level": .string(f.level.rawValue), "message": .string(f.message)]
                if let fix = f.fix { o["fix"] = .string(fix) }
                return .object(o)
            }
            print(String(decoding: JSONValue.object(["ok": .bool(!failed), "findings": .array(list)]).encodedBytes(), as: UTF8.self))
        } else {
            for f in findings {
                print("[\(f.level.rawValue.uppercased())] \(f.check): \(f.message)")
                if let fix = f.fix { print("        fix: \(fix)") }
            }
            print(failed ? "Problems found." : "Everything checked is fine.")
        }
        if failed { Foundation.exit(1) }
    }
}
