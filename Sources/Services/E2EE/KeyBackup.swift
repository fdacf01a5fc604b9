import MatrixProtocol
import Store

/// Server-side key backups (spec "Server-side key backups"): versions with opaque `auth_data`,
/// and Megolm session keys the server stores without being able to read them.
public final class KeyBackup: Sendable {
    let database: Database

    init(database: Database) { self.database = database }

    // MARK: Versions

    public func createVersion(_ requester: Requester, body: JSONObject) async throws -> String {
        let algorithm = try body.requiredString("algorithm")
        guard let authData = try body.optionalObject("auth_data") else { throw MatrixError.missingParam("Missing 'auth_data'") }
        return String(try await database.createBackupVersion(userID: requester.userID, algorithm: algorithm, authData: authData.encodedBytes()))
    }

    /// The current version (nil) or a given one; 404 when there is none.
    public func version(_ requester: Requester, _ version: String?) async throws -> JSONObject {
        var record: BackupVersionRecord?
        if version == nil || Self.number(version!) != nil {
            record = try await database.backupVersion(userID: requester.userID, version: version.flatMap(Self.number))
        }
        guard let record, let authData = try? JSONParser.parseObject(record.authData) else {
            throw MatrixError.notFound(version == nil ? "No current backup version" : "Unknown backup version")
        }
        return ["algorithm": .string(record.algorithm), "auth_data": .object(authData), "count": JSONValue(record.count),
                "etag": .string(String(record.etag)), "version": .string(String(record.version))]
    }

    /// Replaces a version's `auth_data`; the algorithm cannot change.
    public func updateVersion(_ requester: Requester, _ version: String, body: JSONObject) async throws {
        let algorithm = try body.requiredString("algorithm")
        guard let authData = try body.optionalObject("auth_data") else { throw MatrixError.missingParam("Missing 'auth_data'") }
        if let inBody = try body.optionalString("version"), inBody != version {
            throw MatrixError.invalidParam("The version in the body does not match the version in the path")
        }
        guard let number = Self.number(version), let record = try await database.backupVersion(userID: requester.userID, version: number) else {
            throw MatrixError.notFound("Unknown backup version")
        }
        guard record.algorithm == algorithm else { throw MatrixError.invalidParam("The algorithm of a backup version cannot change") }
        guard try await database.updateBackupVersion(userID: requester.userID, version: number, authData: authData.encodedBytes()) else {
            throw MatrixError.notFound("Unknown backup version")
        }
    }

    /// Deletes a version and its keys; deleting a deleted version succeeds.
    public func deleteVersion(_ requester: Requester, _ version: String) async throws {
        guard let number = Self.number(version), try await database.deleteBackupVersion(userID: requester.userID, version: number) else {
            throw MatrixError.notFound("Unknown backup version")
        }
    }

    // MARK: Keys

    /// Where in a backup a keys request points: everything, one room, or one session.
    public struct Scope: Sendable {
        public var roomID: String?
        public var sessionID: String?
        public init(roomID: String? = nil, sessionID: String? = nil) {
            self.roomID = roomID
            self.sessionID = sessionID
        }
    }

    /// Stores keys in the current version (`{"rooms": …}`, `{"sessions": …}` or one key's data,
    /// by scope), keeping the better of two keys for a session. Returns `etag` and `count`.
    public func putKeys(_ requester: Requester, version: String?, scope: Scope, body: JSONObject) async throws -> JSONObject {
        let number = try Self.requiredNumber(version)
        var keys: [RoomKeyRecord] = []
        switch (scope.roomID, scope.sessionID) {
        case (let room?, let session?):
            keys.append(try Self.roomKey(body, roomID: room, sessionID: session))
        case (let room?, nil):
            keys += try Self.sessions(body, roomID: room)
        default:
            guard let rooms = try body.optionalObject("rooms") else { throw MatrixError.missingParam("Missing 'rooms'") }
            for (room, value) in rooms {
                guard let object = value.objectValue else { throw MatrixError.badJSON("rooms.\(room) must be an object") }
                keys += try Self.sessions(object, roomID: room)
            }
        }
        do {
            let result = try await database.putRoomKeys(userID: requester.userID, version: number, keys: keys, replaces: Self.replaces)
            return ["etag": .string(String(result.etag)), "count": JSONValue(result.count)]
        } catch E2EEStoreError.wrongBackupVersion(let current) {
            guard let current else { throw MatrixError.notFound("Unknown backup version") }
            throw MatrixError("M_WRONG_ROOM_KEYS_VERSION", "Wrong backup version", status: 403, extra: ["current_version": .string(String(current))])
        }
    }

    public func getKeys(_ requester: Requester, version: String?, scope: Scope) async throws -> JSONObject {
        let number = try Self.requiredNumber(version)
        let keys: [RoomKeyRecord]
        do {
            keys = try await database.roomKeys(userID: requester.userID, version: number, roomID: scope.roomID, sessionID: scope.sessionID)
        } catch E2EEStoreError.unknownBackupVersion {
            throw MatrixError.notFound("Unknown backup version")
        }
        if scope.sessionID != nil {
            guard let key = keys.first else { throw MatrixError.notFound("No backed-up key for this session") }
            return Self.json(key)
        }
        var rooms = JSONObject()
        for key in keys {
            var sessions = rooms[key.roomID]?["sessions"]?.objectValue ?? JSONObject()
            sessions[key.sessionID] = .object(Self.json(key))
            rooms[key.roomID] = ["sessions": .object(sessions)]
        }
        if let room = scope.roomID { return rooms[room]?.objectValue ?? ["sessions": .object(JSONObject())] }
        return ["rooms": .object(rooms)]
    }

    public func deleteKeys(_ requester: Requester, version: String?, scope: Scope) async throws -> JSONObject {
        let number = try Self.requiredNumber(version)
        do {
            let result = try await database.deleteRoomKeys(userID: requester.userID, version: number, roomID: scope.roomID,
                                                           sessionID: scope.sessionID)
            return ["etag": .string(String(result.etag)), "count": JSONValue(result.count)]
        } catch E2EEStoreError.unknownBackupVersion {
            throw MatrixError.notFound("Unknown backup version")
        }
    }

    /// The spec's rule for two keys of one session: a verified key beats an unverified one, then
    /// the lower `first_message_index` wins, then the lower `forwarded_count`; a tie keeps the old.
    @Sendable static func replaces(_ new: RoomKeyRecord, _ old: RoomKeyRecord) -> Bool {
        if new.isVerified != old.isVerified { return new.isVerified }
        if new.firstMessageIndex != old.firstMessageIndex { return new.firstMessageIndex < old.firstMessageIndex }
        return new.forwardedCount < old.forwardedCount
    }

    private static func sessions(_ body: JSONObject, roomID: String) throws(MatrixError) -> [RoomKeyRecord] {
        guard let sessions = try body.optionalObject("sessions") else { throw MatrixError.missingParam("Missing 'sessions'") }
        var keys: [RoomKeyRecord] = []
        for (session, value) in sessions {
            guard let object = value.objectValue else { throw MatrixError.badJSON("sessions.\(session) must be an object") }
            keys.append(try roomKey(object, roomID: roomID, sessionID: session))
        }
        return keys
    }

    /// A `KeyBackupData` object: every field required.
    private static func roomKey(_ object: JSONObject, roomID: String, sessionID: String) throws(MatrixError) -> RoomKeyRecord {
        func integer(_ name: String) throws(MatrixError) -> Int64 {
            guard let value = object[name] else { throw MatrixError.missingParam("Missing '\(name)'") }
            guard let n = value.intValue, n >= 0 else { throw MatrixError.badJSON("'\(name)' must be a non-negative integer") }
            return n
        }
        let first = try integer("first_message_index"), forwarded = try integer("forwarded_count")
        guard let verified = try object.optionalBool("is_verified") else { throw MatrixError.missingParam("Missing 'is_verified'") }
        guard let data = try object.optionalObject("session_data") else { throw MatrixError.missingParam("Missing 'session_data'") }
        return RoomKeyRecord(roomID: roomID, sessionID: sessionID, firstMessageIndex: first, forwardedCount: forwarded,
                             isVerified: verified, sessionData: data.encodedBytes())
    }

    private static func json(_ key: RoomKeyRecord) -> JSONObject {
        ["first_message_index": .int(key.firstMessageIndex), "forwarded_count": .int(key.forwardedCount),
         "is_verified": .bool(key.isVerified), "session_data": .object((try? JSONParser.parseObject(key.sessionData)) ?? JSONObject())]
    }

    /// Versions are decimal numbers; anything else names no version.
    static func number(_ version: String) -> Int64? { Int64(version).flatMap { $0 > 0 ? $0 : nil } }

    private static func requiredNumber(_ version: String?) throws(MatrixError) -> Int64 {
        guard let version else { throw MatrixError.missingParam("Missing 'version' query parameter") }
        // An unknown version string is still a version the user does not have: 404, not 400.
        return number(version) ?? 0
    }
}
