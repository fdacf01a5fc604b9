import Foundation
import MatrixProtocol
import Services
import Store
import Testing

private let base = "/_matrix/client/v3"

/// What another server is handed of a room's history (`/event`, `/backfill`,
/// `/get_missing_events`): events history visibility hides from it, and events redacted here,
/// go out redacted.
@Suite struct ServerVisibilityTests {
    @Test(arguments: ["joined", "invited", "shared", "world_readable"])
    func historyBeforeAServerJoinedFollowsTheRoomsVisibility(_ visibility: String) async throws {
        let pair = try await FederatedPair.make()
        try await pair.run { a, b in
            let alice = try await registerUser(a, "alice"), bob = try await registerUser(b, "bob")
            let room = try await createRoom(a, token: alice.token, ["preset": "public_chat"])
            let path = "\(base)/rooms/\(enc(room))"
            #expect(try await a.call(.put, "\(path)/state/m.room.history_visibility", token: alice.token,
                                     body: ["history_visibility": .string(visibility)]).status == .ok)
            func send(_ body: String, _ txn: String) async throws -> String {
                let sent = try await a.call(.put, "\(path)/send/m.room.message/\(txn)", token: alice.token, body: ["msgtype": "m.text", "body": .string(body)])
                return try #require(sent.json["event_id"]?.stringValue)
            }
            let before = try await send("before", "t1")
            #expect(try await b.call(.post, "\(base)/join/\(enc(room))?via=a.test", token: bob.token, body: [:]).status == .ok)
            let after = try await send("after", "t2"), removed = try await send("removed", "t3")
            #expect(try await a.call(.put, "\(path)/redact/\(enc(removed))/t4", token: alice.token, body: [:]).status == .ok)

            let federation = pair.a.homeserver.federation
            let backfill = try await federation.serveBackfill(roomID: room, from: [removed], limit: 50, origin: "b.test")
            // Events carry no `event_id` from v3 on: index them by their reference hash.
            let version = try #require(RoomVersion.named(RoomVersion.defaultForNewRooms))
            var served: [String: JSONValue] = [:]
            for case .object(let event) in backfill["pdus"]?.arrayValue ?? [] {
                served[try EventHashing.eventID(event, version: version)] = event["content"]
            }
            // Bob joined without an invite: under `invited` too, nothing from before reached b.test.
            let open = ["shared", "world_readable"].contains(visibility)
            #expect(served[before]?["body"] == (open ? "before" : nil), "\(served)")
            #expect(served[before] != nil)
            #expect(served[after]?["body"] == "after")
            #expect(served[removed] != nil && served[removed]?["body"] == nil)
            for id in [before, after, removed] {
                let one = try await federation.serveEvent(id, origin: "b.test")
                let content = one["pdus"]?.arrayValue?.first?["content"]
                #expect(content == served[id], "\(id): \(one)")
            }
            // A server with no one in the room gets nothing.
            await #expect(throws: MatrixError.self) { try await federation.serveEvent(after, origin: "c.test") }
        }
        try await pair.close()
    }
}
