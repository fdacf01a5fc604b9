import ApusConfig
import Logging
import MatrixProtocol
import Outbound
import Sodium
import Store

/// What every service and handler shares: configuration, identity, storage, time.
public final class Homeserver: Sendable {
    public static let name = "Apus"
    public static let version = "0.1.0"

    public let config: ApusConfiguration
    /// What a config reload (SIGHUP) may change while running.
    public let live: LiveSettings
    public let signingKey: SigningKey
    public let database: Database
    public let clock: Clock
    public let logger: Logger
    public let serverKeys: ServerKeys
    public let accounts: Accounts
    public let rooms: Rooms
    public let spaces: Spaces
    public let notifier: Notifier
    public let sync: Sync
    public let typing: Typing
    public let profiles: Profiles
    public let accountData: AccountData
    public let presence: Presence
    public let federation: Federation
    public let admin: Admin
    public let e2eeKeys: E2EEKeys
    public let toDevice: ToDevice
    public let keyBackup: KeyBackup
    public let media: MediaRepository
    public let pushRules: PushRules
    public let notifications: PushNotifications
    public let pushers: Pushers
    public let pushSender: PushSender
    public let urlPreviews: URLPreviewer

    public var serverName: ServerName { config.serverName }

    /// Records the current signing key in the store (expiring any previous one) so
    /// `old_verify_keys` stays complete across key changes.
    /// `passwordCost` is for tests, where the argon2id cost would dominate run time;
    /// `federationTransport` reaches other servers (nil: federation off).
    public init(config: ApusConfiguration, signingKey: SigningKey, database: Database,
                clock: Clock = .system, logger: Logger, passwordCost: PasswordHash.Cost = .standard,
                federationTransport: (any FederationTransport)? = nil) async throws {
        self.config = config
        self.live = LiveSettings(config)
        self.signingKey = signingKey
        self.database = database
        self.clock = clock
        self.logger = logger
        let old = try await database.recordCurrentSigningKey(
            keyID: signingKey.keyID, publicKey: signingKey.publicKeyBase64, now: clock.nowMillis())
        serverKeys = ServerKeys(serverName: config.serverName, signingKey: signingKey, oldKeys: old)
        notifier = Notifier(position: SyncToken(
            events: try await database.currentStreamPosition(),
            accountData: try await database.currentAccountDataPosition(),
            receipts: try await database.currentReceiptPosition(),
            toDevice: try await database.currentToDevicePosition(),
            deviceLists: try await database.currentDeviceListPosition()))
        accounts = Accounts(config: config, live: live, database: database, clock: clock, hasher: PasswordHasher(cost: passwordCost),
                            notifier: notifier)
        typing = Typing(clock: clock, notifier: notifier)
        pushRules = PushRules(database: database, notifier: notifier)
        notifications = PushNotifications(database: database, rules: pushRules, serverName: config.serverName.description)
        pushers = Pushers(database: database, clock: clock)
        rooms = Rooms(config: config, database: database, clock: clock, signingKey: signingKey, notifier: notifier,
                      notifications: notifications)
        spaces = Spaces(rooms: rooms, clock: clock)
        presence = Presence(clock: clock, notifier: notifier)
        sync = Sync(database: database, notifier: notifier, clock: clock, typing: typing, presence: presence,
                    notifications: notifications)
        profiles = Profiles(database: database, rooms: rooms, serverName: config.serverName)
        accountData = AccountData(database: database, notifier: notifier, rooms: rooms, clock: clock)
        federation = Federation(config: config, signingKey: signingKey, serverKeys: serverKeys, database: database, rooms: rooms,
                                notifier: notifier, typing: typing, clock: clock, logger: logger, transport: federationTransport)
        media = try MediaRepository(config: config, database: database, clock: clock, logger: logger)
        // URL previews and push gateways reach URLs users chose: both go through the SSRF-safe client.
        urlPreviews = URLPreviewer(config: config.media, client: OutboundHTTPClient(policy: config.media.outboundPolicy,
                                                                                    userAgent: URLPreviewer.userAgent, logger: logger),
                                   media: media, database: database, clock: clock, logger: logger)
        pushSender = PushSender(database: database, notifier: notifier,
                                client: OutboundHTTPClient(policy: config.media.outboundPolicy,
                                                           userAgent: "\(Self.name)/\(Self.version)", logger: logger),
                                clock: clock, logger: logger)
        rooms.federation.set(federation)
        e2eeKeys = E2EEKeys(database: database, notifier: notifier, accounts: accounts, serverName: config.serverName, logger: logger)
        toDevice = ToDevice(database: database, notifier: notifier, clock: clock, serverName: config.serverName, logger: logger)
        keyBackup = KeyBackup(database: database)
        sync.federation.set(federation)
        if federation.enabled {
            e2eeKeys.setRemote(federation)
            toDevice.setRemote(federation)
            media.setRemoteFetcher(federation)
        }
        let link = HomeserverLink()
        admin = Admin(homeserver: link)
        link.set(self)
    }
}
