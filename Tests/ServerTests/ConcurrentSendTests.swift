import Foundation
import MatrixProtocol
import Services
import Store
import Testing

private let base = "/_matrix/client/v3"

/// A room's sends are queued for writing without waiting for each other's commits
/// (`RoomLane.send`): however many arrive at once, the room's graph stays one chain in the
/// order of the stream, and every answered send is stored.
@Suite struct ConcurrentSendTests {
    @Test func concurrentSendsFormOneChainInStreamOrder() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice")
            let room = try await createRoom(client, token: alice.token, ["preset": "public_chat"])
            let count = 24
            let ids = try await withThrowingTaskGroup(of: String.self) { group in
                for n in 0..<count {
                    group.addTask {
                        let r = try await client.call(.put, "\(base)/rooms/\(enc(room))/send/m.room.message/c\(n)", token: alice.token,
                                                      body: ["msgtype": "m.text", "body": .string("message \(n)")])
                        #expect(r.status == .ok, "send \(n): \(r.json)")
                        return r.json["event_id"]?.stringValue ?? ""
                    }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            let database = hs.homeserver.database
            guard let record = try await database.room(room) else { throw MatrixError.notFound("room") }
            let stored = try await database.events(ids)
            #expect(stored.count == count)
            // Every message's prev event is the event just before it in the stream: one chain.
            let messages = stored.sorted { ($0.streamOrdering ?? 0) < ($1.streamOrdering ?? 0) }
            let version = RoomVersion.named(record.version)!
            for (earlier, later) in zip(messages, messages.dropFirst()) {
                #expect(try later.pdu(version: version).prevEvents == [earlier.eventID])
            }
            #expect(try await database.forwardExtremities(of: record).map(\.eventID) == [messages.last?.eventID])
            // Retried transaction IDs still answer the first event.
            let again = try await client.call(.put, "\(base)/rooms/\(enc(room))/send/m.room.message/c0", token: alice.token,
                                              body: ["msgtype": "m.text", "body": "message 0"])
            #expect(ids.contains(again.json["event_id"]?.stringValue ?? "-"))
        }
    }

    /// A client that retries a send while the first is still being written (it gave up waiting)
    /// gets the same event: one message, however many copies of the request arrive at once.
    @Test func retriesOfATransactionInFlightGetTheSameEvent() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice")
            let room = try await createRoom(client, token: alice.token, ["preset": "public_chat"])
            let ids = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        let r = try await client.call(.put, "\(base)/rooms/\(enc(room))/send/m.room.message/same-txn", token: alice.token,
                                                      body: ["msgtype": "m.text", "body": "once"])
                        #expect(r.status == .ok, "\(r.json)")
                        return r.json["event_id"]?.stringValue ?? ""
                    }
                }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(ids.count == 1 && ids.first?.isEmpty == false, "\(ids)")
            let page = try await client.call(.get, "\(base)/rooms/\(enc(room))/messages?dir=b&limit=50", token: alice.token)
            let bodies = page.json["chunk"]?.arrayValue?.compactMap { $0["content"]?["body"]?.stringValue } ?? []
            #expect(bodies == ["once"])
        }
    }
}
