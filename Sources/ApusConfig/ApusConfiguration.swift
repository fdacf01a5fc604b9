import Foundation
import MatrixProtocol

/// The whole server configuration: what `apus.toml` says, with every key defaulted.
///
/// Paths: `dataDir` is absolute (resolved when the configuration is built, because it depends on
/// the working directory). The other file paths keep the text written in the file; use
/// `databasePath`, `signingKeyPath`, `mediaPath` or `resolvePath(_:)` for the absolute path,
/// which resolves relative paths against `dataDir`.
public struct ApusConfiguration: Sendable, Equatable {
    /// `server_name`: the name in user IDs; may carry a port.
    public var serverName: ServerName
    /// `data_dir`, absolute.
    public var dataDir: String
    /// `public_baseurl`: an http(s) URL that always ends with "/".
    public var publicBaseURL: String
    public var database: Database
    public var signing: Signing
    /// `[[listeners]]`: never empty when loaded from a file or defaults.
    public var listeners: [Listener]
    public var wellKnown: WellKnown
    public var registration: Registration
    public var federation: Federation
    public var rateLimits: RateLimits
    public var media: Media
    public var http: HTTP
    public var log: Log

    public init(
        serverName: ServerName = ApusConfiguration.defaultServerName,
        dataDir: String,
        publicBaseURL: String = ApusConfiguration.defaultPublicBaseURL,
        database: Database = Database(),
        signing: Signing = Signing(),
        listeners: [Listener] = [Listener()],
        wellKnown: WellKnown = WellKnown(),
        registration: Registration = Registration(),
        federation: Federation = Federation(),
        rateLimits: RateLimits = RateLimits(),
        media: Media = Media(),
        http: HTTP = HTTP(),
        log: Log = Log()
    ) {
        self.serverName = serverName
        self.dataDir = dataDir
        self.publicBaseURL = publicBaseURL
        self.database = database
        self.signing = signing
        self.listeners = listeners
        self.wellKnown = wellKnown
        self.registration = registration
        self.federation = federation
        self.rateLimits = rateLimits
        self.media = media
        self.http = http
        self.log = log
    }

    // "localhost" is a valid server name, so this cannot fail.
    public static let defaultServerName = try! ServerName("localhost")
    public static let defaultDataDir = "./apus-data"
    public static let defaultPublicBaseURL = "http://localhost:8008/"

    /// The embedded defaults (what `apus serve` uses without a file), with `data_dir` resolved
    /// against `baseDirectory`.
    public static func defaults(baseDirectory: String) -> ApusConfiguration {
        ApusConfiguration(dataDir: PathResolution.absolute(defaultDataDir, relativeTo: baseDirectory))
    }

    /// The embedded defaults with `data_dir` resolved against the process's working directory.
    public static var defaults: ApusConfiguration {
        defaults(baseDirectory: FileManager.default.currentDirectoryPath)
    }
}
