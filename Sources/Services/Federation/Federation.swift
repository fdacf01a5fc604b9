import ApusConfig
import Logging
import MatrixProtocol
import Store
import Synchronization

/// The Server-Server API's services: other servers' keys, request authentication, the PDU
/// pipeline for received events, joins/leaves/invites across servers, and the sender.
public final class Federation: Sendable {
    let serverName: ServerName
    let signingKey: SigningKey
    let database: Database
    let rooms: Rooms
    let clock: Clock
    let logger: Logger
    let typing: Typing
    let notifier: Notifier
    public let transport: any FederationTransport
    public let keys: RemoteKeys
    public let authentication: RequestAuthentication
    public let sender: FederationSender
    public let enabled: Bool
    /// Other servers' `/hierarchy` answers, kept a few minutes (clients page through spaces).
    let remoteHierarchies = Mutex<[String: (answer: RemoteHierarchy, expires: Int64)]>([:])

    init(config: ApusConfiguration, signingKey: SigningKey, serverKeys: ServerKeys, database: Database, rooms: Rooms,
         notifier: Notifier, typing: Typing, clock: Clock, logger: Logger, transport: (any FederationTransport)?) {
        self.typing = typing
        self.notifier = notifier
        serverName = config.serverName
        self.signingKey = signingKey
        self.database = database
        self.rooms = rooms
        self.clock = clock
        self.logger = logger
        enabled = config.federation.enabled && transport != nil
        let transport = enabled ? transport ?? NoFederation() : NoFederation()
        self.transport = transport
        keys = RemoteKeys(database: database, transport: transport, ourKeys: serverKeys, notaries: config.federation.trustedKeyServers,
                          clock: clock, logger: logger)
        authentication = RequestAuthentication(serverName: config.serverName, keys: keys, clock: clock)
        sender = FederationSender(serverName: config.serverName.description, database: database, transport: transport,
                                  notifier: notifier, logger: logger, enabled: enabled)
    }

    var ourServer: String { serverName.description }

    /// An authenticated request came from `origin`: it is up, so stop backing off from it.
    public func peerContacted(_ origin: String) async {
        if let name = try? ServerName(origin), let client = transport as? any PeerReachability { client.markReachable(name) }
        await sender.peerIsUp(origin)
    }
}
