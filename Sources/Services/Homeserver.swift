import ApusConfig
import Logging
import MatrixProtocol
import Sodium
import Store

/// What every service and handler shares: configuration, identity, storage, time.
public final class Homeserver: Sendable {
    public static let name = "Apus"
    public static let version = "0.1.0"

    public let config: ApusConfiguration
    public let signingKey: SigningKey
    public let database: Database
    public let clock: Clock
    public let logger: Logger
    public let serverKeys: ServerKeys
    public let accounts: Accounts

    public var serverName: ServerName { config.serverName }

    /// Records the current signing key in the store (expiring any previous one) so
    /// `old_verify_keys` stays complete across key changes.
    /// `passwordCost` is for tests, where the interactive argon2id cost would dominate run time.
    public init(config: ApusConfiguration, signingKey: SigningKey, database: Database,
                clock: Clock = .system, logger: Logger, passwordCost: PasswordHash.Cost = .interactive) async throws {
        self.config = config
        self.signingKey = signingKey
        self.database = database
        self.clock = clock
        self.logger = logger
        let old = try await database.recordCurrentSigningKey(
            keyID: signingKey.keyID, publicKey: signingKey.publicKeyBase64, now: clock.nowMillis())
        serverKeys = ServerKeys(serverName: config.serverName, signingKey: signingKey, oldKeys: old)
        accounts = Accounts(config: config, database: database, clock: clock, hasher: PasswordHasher(cost: passwordCost))
    }
}
