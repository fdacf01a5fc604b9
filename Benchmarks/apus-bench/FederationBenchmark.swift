import ApusConfig
import Foundation
import Logging
import MatrixProtocol
import Services
import Store

/// The receiving side of federation, through the real services on a real database:
/// - `send_join` of a room with N state events: every event's signature and content hash
///   verified, checked against its auth events, and stored (the work of a join's answer);
/// - inbound transactions of 50 PDUs into an up-to-date room (`PUT /send` without HTTP).
enum FederationBenchmark {
    static let remote = "remote.bench"

    static func run(_ arguments: [String]) async throws {
        let options = try Options(arguments, allowed: ["members", "transactions"])
        let members = try options.int("members", default: 20_000)
        let transactions = try options.int("transactions", default: 20)
        let bench = try await BenchHomeserver.make("fed", federationTransport: Unreachable())
        let homeserver = bench.homeserver
        let database = homeserver.database
        let key = SigningKey.generate()
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        try await database.storeRemoteServerKeys(
            [RemoteServerKey(serverName: remote, keyID: key.keyID, publicKey: key.publicKeyBase64, validUntilTS: now + 86_400_000, expiredTS: nil)],
            response: [], server: remote, validUntilTS: now + 86_400_000, now: now)

        try await sendJoin(homeserver, key: key, members: members, now: now)
        try await inboundTransactions(homeserver, key: key, count: transactions, now: now)
        try await bench.close()
    }

    /// A remote room's state: create, creator, power levels, join rules, then `members` joins.
    static func sendJoin(_ hs: Homeserver, key: SigningKey, members: Int, now: Int64) async throws {
        guard let version = RoomVersion.named("10") else { return }
        let roomID = "!big:\(remote)"
        let creator = "@creator:\(remote)"
        var events: [JSONValue] = []
        var previous: String?
        var depth: Int64 = 0
        func add(_ type: String, _ stateKey: String, _ sender: String, _ content: JSONObject, auth: [String]) throws -> String {
            depth += 1
            var json: JSONObject = [
                "type": .string(type), "state_key": .string(stateKey), "sender": .string(sender), "room_id": .string(roomID),
                "content": .object(content), "origin_server_ts": .int(now + depth), "depth": .int(depth),
                "prev_events": JSONValue(previous.map { [$0] } ?? []), "auth_events": JSONValue(auth),
            ]
            json = try EventHashing.addingContentHash(json, version: version)
            json = try EventSigning.sign(json, serverName: remote, key: key, version: version)
            let id = try EventHashing.eventID(json, version: version)
            events.append(.object(json))
            previous = id
            return id
        }
        let create = try add("m.room.create", "", creator, ["creator": .string(creator), "room_version": "10"], auth: [])
        let creatorJoin = try add("m.room.member", creator, creator, ["membership": "join"], auth: [create])
        let power = try add("m.room.power_levels", "", creator, ["users": [creator: 100]], auth: [create, creatorJoin])
        let rules = try add("m.room.join_rules", "", creator, ["join_rule": "public"], auth: [create, creatorJoin, power])
        for n in 0..<members {
            let user = "@member\(n):\(remote)"
            _ = try add("m.room.member", user, user, ["membership": "join", "displayname": .string("Member \(n)")],
                        auth: [create, power, rules])
        }
        let room = try await hs.database.createRoom(roomID: roomID, version: "10", now: now)
        // The answer as it comes off the wire: parsing its body is part of the join's work.
        let body = JSONValue.object(["state": .array(events), "auth_chain": []]).encodedBytes()
        let start = ContinuousClock.now
        let cpuStart = processCPUSeconds()
        let answer = try JSONParser.parseObject(body)
        let parsed = ContinuousClock.now
        try await hs.federation.storeChecked(answer["state"]?.arrayValue ?? [], room: room, version: version)
        let seconds = seconds(ContinuousClock.now - start)
        let cpu = processCPUSeconds() - cpuStart
        let stored = try await hs.database.missingEvents(events.compactMap { try? EventHashing.eventID($0.objectValue ?? [:], version: version) })
        guard stored.isEmpty else { throw Options.Invalid(description: "\(stored.count) events were not stored") }
        print("send_join answer of \(events.count) state events, \(body.count / 1024) KiB (parse, verify signatures + hashes, auth checks, store):")
        print("  parsing the body: \(String(format: "%.0f", Self.seconds(parsed - start) * 1000)) ms")
        print("  \(String(format: "%.2f", seconds)) s, \(Int(Double(events.count) / seconds)) events/s; "
              + "\(String(format: "%.2f", cpu)) s of CPU, \(Int(Double(events.count) / cpu)) events per CPU-second")
    }

    /// A local room a remote user joined; then transactions of 50 messages from that user.
    static func inboundTransactions(_ hs: Homeserver, key: SigningKey, count: Int, now: Int64) async throws {
        var request = RoomCreationRequest(creator: "@owner:bench.local")
        request.preset = .publicChat
        request.version = "10"
        let roomID = try await hs.rooms.create(request)
        guard let version = RoomVersion.named("10") else { return }
        let user = "@sender:\(remote)"
        let made = try await hs.federation.makeMembership("join", roomID: roomID, userID: user, origin: remote, supportedVersions: ["10"])
        guard var join = made["event"]?.objectValue else { throw Options.Invalid(description: "no join template") }
        join = try EventHashing.addingContentHash(join, version: version)
        join = try EventSigning.sign(join, serverName: remote, key: key, version: version)
        let joinID = try EventHashing.eventID(join, version: version)
        _ = try await hs.federation.sendMembership("join", roomID: roomID, eventID: joinID, origin: remote, event: join)
        guard let room = try await hs.database.room(roomID) else { return }
        let state = try await hs.database.currentState(of: room)
        let auth = [state[.create], state[.powerLevels], state[.member(user)]].compactMap { $0 }
        var previous = joinID
        var depth = try await hs.database.forwardExtremities(of: room).map(\.depth).max() ?? 0
        var durations: [Double] = []
        var cpu: [Double] = []
        for t in 0..<count {
            var pdus: [JSONValue] = []
            for n in 0..<50 {
                depth += 1
                var json: JSONObject = [
                    "type": "m.room.message", "sender": .string(user), "room_id": .string(roomID),
                    "content": ["msgtype": "m.text", "body": .string("transaction \(t) message \(n)")],
                    "origin_server_ts": .int(now + depth), "depth": .int(depth),
                    "prev_events": [.string(previous)], "auth_events": JSONValue(auth),
                ]
                json = try EventHashing.addingContentHash(json, version: version)
                json = try EventSigning.sign(json, serverName: remote, key: key, version: version)
                previous = try EventHashing.eventID(json, version: version)
                pdus.append(.object(json))
            }
            let start = ContinuousClock.now
            let cpuStart = processCPUSeconds()
            let answer = try await hs.federation.receiveTransaction(origin: remote, txnID: "bench\(t)",
                                                                    body: ["origin": .string(remote), "pdus": .array(pdus), "edus": []])
            durations.append(seconds(ContinuousClock.now - start) * 1000)
            cpu.append((processCPUSeconds() - cpuStart) * 1000)
            let errors = (answer["pdus"]?.objectValue ?? [:]).filter { $0.value["error"] != nil }
            guard errors.isEmpty else { throw Options.Invalid(description: "refused PDUs: \(errors.count)") }
        }
        let sorted = durations.sorted()
        print("inbound transactions of 50 PDUs into an up-to-date room (\(count) transactions):")
        print("  p50 \(String(format: "%.1f", sorted[sorted.count / 2])) ms, max \(String(format: "%.1f", sorted.last ?? 0)) ms, "
              + "\(Int(50_000 / (sorted.reduce(0, +) / Double(sorted.count)))) PDUs/s; CPU p50 "
              + String(format: "%.1f", cpu.sorted()[cpu.count / 2]) + " ms")
    }

    /// CPU time of the whole process (all threads): the cost of a phase independent of other load.
    static func processCPUSeconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    static func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

    struct Unreachable: FederationTransport {
        func json(to destination: ServerName, method: String, path: String, body: JSONValue?, signed: Bool) async throws -> JSONObject {
            throw MatrixError.unknown("the benchmark has no network")
        }
    }
}
