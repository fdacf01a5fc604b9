import Foundation
import MatrixProtocol
import TOMLKit

extension ApusConfiguration {
    /// Reads and parses a configuration file; relative `data_dir` is resolved against the
    /// process's working directory. Issues are reported under the path as given.
    public static func load(fromFile path: String) throws(ConfigError) -> ApusConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(file: path, issues: [
                .init(kind: .unreadable, key: "", line: nil, message: "cannot read the file: \(error.localizedDescription)"),
            ])
        }
        return try parse(toml: text, baseDirectory: FileManager.default.currentDirectoryPath, fileName: path)
    }

    /// Parses configuration text; a relative `data_dir` is resolved against `baseDirectory`.
    /// `fileName` only labels the issues. Throws every problem found, not just the first.
    public static func parse(
        toml text: String,
        baseDirectory: String,
        fileName: String = "apus.toml"
    ) throws(ConfigError) -> ApusConfiguration {
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigError(file: fileName, issues: [
                .init(kind: .syntax, key: "", line: error.source.begin.line, message: error.description),
            ])
        } catch {
            throw ConfigError(file: fileName, issues: [
                .init(kind: .syntax, key: "", line: nil, message: "\(error)"),
            ])
        }
        let log = IssueLog(locator: KeyLineLocator(text: text))
        let configuration = read(ConfigReader(table: root, path: .root, log: log), baseDirectory: baseDirectory)
        guard log.count == 0 else { throw ConfigError(file: fileName, issues: log.sorted) }
        return configuration
    }

    /// Walks the document: each key present replaces its default.
    private static func read(_ root: ConfigReader, baseDirectory: String) -> ApusConfiguration {
        var c = ApusConfiguration.defaults(baseDirectory: baseDirectory)
        c.serverName = root.string("server_name", ServerName.validated) ?? c.serverName
        if let dataDir = root.path("data_dir") {
            c.dataDir = PathResolution.absolute(dataDir, relativeTo: baseDirectory)
        }
        c.publicBaseURL = root.string("public_baseurl", HTTPBaseURL.normalise) ?? c.publicBaseURL
        c.database = root.section("database", Database.init(reading:)) ?? c.database
        c.signing = root.section("signing", Signing.init(reading:)) ?? c.signing
        c.listeners = readListeners(root) ?? c.listeners
        c.wellKnown = root.section("well_known", WellKnown.init(reading:)) ?? c.wellKnown
        c.registration = root.section("registration", Registration.init(reading:)) ?? c.registration
        c.federation = root.section("federation", Federation.init(reading:)) ?? c.federation
        c.rateLimits = root.section("rate_limits", RateLimits.init(reading:)) ?? c.rateLimits
        c.media = root.section("media", Media.init(reading:)) ?? c.media
        c.http = root.section("http", HTTP.init(reading:)) ?? c.http
        c.log = root.section("log", Log.init(reading:)) ?? c.log
        root.finish()
        return c
    }

    /// `[[listeners]]`, checking that no two share bind address and port. Listeners that had
    /// problems of their own are left out of that check: some of their values are only defaults.
    private static func readListeners(_ root: ConfigReader) -> [Listener]? {
        guard let elements = root.sections("listeners", Listener.init(reading:)) else { return nil }
        if elements.isEmpty {
            root.invalid("listeners", "at least one listener is needed (leave [[listeners]] out for the default)")
            return nil
        }
        var seen: [String: Int] = [:]
        for element in elements where element.isClean {
            let listener = element.value
            let host = listener.bind.contains(":") ? "[\(listener.bind)]" : listener.bind
            let endpoint = "\(host):\(listener.port)"
            if let first = seen[endpoint] {
                root.invalid(at: KeyPath.root.appending("listeners").appending(index: element.index),
                             "\(endpoint) is already used by listeners[\(first)]")
            } else {
                seen[endpoint] = element.index
            }
        }
        return elements.map(\.value)
    }
}
