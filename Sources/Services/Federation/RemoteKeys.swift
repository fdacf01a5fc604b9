import Logging
import MatrixProtocol
import Synchronization
import Sodium
import Store

/// Other servers' verify keys: from the cache, else from the server itself
/// (`/_matrix/key/v2/server`), else through the configured notaries (`/_matrix/key/v2/query`).
/// Every response is checked (server name, self-signature, notary signature) before use.
public final class RemoteKeys: Sendable {
    let database: Database
    let transport: any FederationTransport
    let ourKeys: ServerKeys
    let notaries: [ServerName]
    let clock: Clock
    let logger: Logger
    private let inFlight = InFlight()
    /// Keys already read or fetched, decoded, so verifying a batch of events costs no database
    /// reads and no base64 decoding per event.
    private let cache = Mutex<[String: (record: RemoteServerKey, key: [UInt8])]>([:])

    init(database: Database, transport: any FederationTransport, ourKeys: ServerKeys, notaries: [ServerName], clock: Clock, logger: Logger) {
        self.database = database
        self.transport = transport
        self.ourKeys = ourKeys
        self.notaries = notaries
        self.clock = clock
        self.logger = logger
    }

    /// The public key `server` signed with as `keyID`, usable for something signed at `ts`
    /// (an event's origin_server_ts, or now for a request). `M_UNAUTHORIZED`-style errors are
    /// left to callers: this throws `KeyError`.
    public func key(server: String, keyID: String, at ts: Int64) async throws -> [UInt8] {
        if server == ourKeys.serverName.description {
            if keyID == ourKeys.signingKey.keyID { return ourKeys.signingKey.keyPair.publicKey }
            if let old = ourKeys.oldKeys.first(where: { $0.keyID == keyID }), let key = Base64.decode(old.publicKey) { return key }
            throw KeyError("unknown key \(keyID) of this server")
        }
        let cacheKey = server + "|" + keyID
        if let cached = cache.withLock({ $0[cacheKey] }), Self.usable(cached.record, at: ts) {
            return cached.key
        }
        if let stored = try await database.remoteServerKey(server: server, keyID: keyID), Self.usable(stored, at: ts),
           let key = Base64.decode(stored.publicKey) {
            cache.withLock { $0[cacheKey] = (stored, key) }
            return key
        }
        try await inFlight.run(server) { try await self.fetch(server: server, keyID: keyID, minimumValidUntil: ts) }
        guard let fetched = try await database.remoteServerKey(server: server, keyID: keyID), let key = Base64.decode(fetched.publicKey) else {
            throw KeyError("no key \(keyID) for \(server)")
        }
        cache.withLock { $0[cacheKey] = (fetched, key) }
        // A key past its validity still verifies (as Synapse does): the fetch was the best answer.
        return key
    }

    static func usable(_ key: RemoteServerKey, at ts: Int64) -> Bool {
        if let expired = key.expiredTS { return ts <= expired }
        return ts <= key.validUntilTS
    }

    private func fetch(server: String, keyID: String, minimumValidUntil: Int64) async throws {
        guard let name = try? ServerName(server) else { throw KeyError("invalid server name \(server)") }
        do {
            let response = try await transport.json(to: name, method: "GET", path: "/_matrix/key/v2/server", body: nil, signed: false)
            try await accept(response, from: server, notary: nil)
            if let stored = try await database.remoteServerKey(server: server, keyID: keyID), Self.usable(stored, at: minimumValidUntil) { return }
        } catch {
            logger.info("fetching keys of \(server) directly failed: \(error)")
        }
        for notary in notaries where notary.description != server {
            do {
                let body: JSONValue = ["server_keys": [server: [keyID: ["minimum_valid_until_ts": .int(minimumValidUntil)]]]]
                let answer = try await transport.json(to: notary, method: "POST", path: "/_matrix/key/v2/query", body: body, signed: false)
                for case .object(let response) in answer["server_keys"]?.arrayValue ?? [] {
                    try await accept(response, from: server, notary: notary.description)
                }
                if try await database.remoteServerKey(server: server, keyID: keyID) != nil { return }
            } catch {
                logger.info("fetching keys of \(server) through \(notary) failed: \(error)")
            }
        }
    }

    /// Verifies a key response (self-signed by every listed verify key; signed by the notary
    /// when it came through one) and stores it.
    func accept(_ response: JSONObject, from server: String, notary: String?) async throws {
        guard response["server_name"]?.stringValue == server else { throw KeyError("key response is for another server") }
        guard let validUntil = response["valid_until_ts"]?.intValue else { throw KeyError("key response has no valid_until_ts") }
        guard case .object(let verifyKeys)? = response["verify_keys"], !verifyKeys.isEmpty else { throw KeyError("no verify_keys") }
        var keys: [RemoteServerKey] = []
        for (id, entry) in verifyKeys {
            guard let text = entry["key"]?.stringValue, let key = Base64.decode(text), key.count == 32 else {
                throw KeyError("verify key \(id) is malformed")
            }
            do { try JSONSigning.verify(response, entity: server, keyID: id, publicKey: key) } catch {
                throw KeyError("key response of \(server) is not signed by \(id): \(error)")
            }
            keys.append(RemoteServerKey(serverName: server, keyID: id, publicKey: text, validUntilTS: validUntil, expiredTS: nil))
        }
        for (id, entry) in response["old_verify_keys"]?.objectValue ?? [:] {
            guard let text = entry["key"]?.stringValue, Base64.decode(text)?.count == 32, let expired = entry["expired_ts"]?.intValue else { continue }
            keys.append(RemoteServerKey(serverName: server, keyID: id, publicKey: text, validUntilTS: expired, expiredTS: expired))
        }
        if let notary {
            let ids = JSONSigning.keyIDs(in: response, entity: notary)
            var verified = false
            for id in ids {
                if let key = try? await self.key(server: notary, keyID: id, at: clock.nowMillis()),
                   (try? JSONSigning.verify(response, entity: notary, keyID: id, publicKey: key)) != nil {
                    verified = true
                    break
                }
            }
            guard verified else { throw KeyError("key response of \(server) is not signed by notary \(notary)") }
        }
        try await database.storeRemoteServerKeys(keys, response: response.encodedBytes(), server: server, validUntilTS: validUntil,
                                                 now: clock.nowMillis())
    }
}

public struct KeyError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// One fetch per server at a time; concurrent callers wait for it.
actor InFlight {
    private var running: [String: Task<Void, Error>] = [:]

    func run(_ key: String, _ work: @escaping @Sendable () async throws -> Void) async throws {
        if let task = running[key] { return try await task.value }
        let task = Task { try await work() }
        running[key] = task
        defer { running[key] = nil }
        try await task.value
    }
}
