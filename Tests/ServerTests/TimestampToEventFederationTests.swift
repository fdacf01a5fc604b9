import Foundation
import Hummingbird
import HummingbirdTesting
import MatrixProtocol
import Services
import Testing

private let base = "/_matrix/client/v3"

private func eventNear(_ client: some TestClientProtocol, _ room: String, token: String, ts: Int64, dir: String) async throws
    -> (status: HTTPResponse.Status, json: JSONObject) {
    try await client.call(.get, "/_matrix/client/v1/rooms/\(enc(room))/timestamp_to_event?ts=\(ts)&dir=\(dir)", token: token)
}

@Suite struct TimestampToEventFederationTests {
    /// History from before B joined is only on A: B asks A, fetches the event and can show it.
    @Test func closerEventsAreAskedOfOtherServers() async throws {
        let clock = TestClock()
        let t0 = clock.now
        let pair = try await FederatedPair.make(clock: clock.clock)
        try await pair.run { a, b in
            let alice = try await registerUser(a, "alice")
            let bob = try await registerUser(b, "bob")
            let room = try await createRoom(a, token: alice.token, ["preset": "public_chat"])
            var sent: [String] = []
            for (i, body) in ["one", "two"].enumerated() {
                clock.now = t0 + Int64(i + 1) * 60_000
                let r = try await a.call(.put, "\(base)/rooms/\(enc(room))/send/m.room.message/t\(i)", token: alice.token,
                                         body: ["msgtype": "m.text", "body": .string(body)])
                sent.append(r.json["event_id"]?.stringValue ?? "")
            }
            clock.now = t0 + 180_000
            let join = try await b.call(.post, "\(base)/join/\(enc(room))?via=a.test", token: bob.token, body: [:])
            #expect(join.status == .ok, "join: \(join.json)")

            // Forwards from before "one": B's first event is its join, after a gap.
            let forwards = try await eventNear(b, room, token: bob.token, ts: t0 + 50_000, dir: "f")
            #expect(forwards.status == .ok && forwards.json["event_id"] == .string(sent[0]), "forwards: \(forwards.json)")
            #expect(forwards.json["origin_server_ts"] == .int(t0 + 60_000))
            let context = try await b.call(.get, "\(base)/rooms/\(enc(room))/context/\(enc(sent[0]))", token: bob.token)
            #expect(context.status == .ok && context.json["event"]?["content"]?["body"] == "one", "context: \(context.json)")

            // Backwards from after "two": B has "one" now, but nothing after it until its join.
            let backwards = try await eventNear(b, room, token: bob.token, ts: t0 + 130_000, dir: "b")
            #expect(backwards.status == .ok && backwards.json["event_id"] == .string(sent[1]), "backwards: \(backwards.json)")

            // A local answer at the live end of the room needs no one else.
            clock.now = t0 + 300_000
            let own = try await b.call(.put, "\(base)/rooms/\(enc(room))/send/m.room.message/b1", token: bob.token,
                                       body: ["msgtype": "m.text", "body": "three"])
            pair.network.setDown("a.test", true)
            let latest = try await eventNear(b, room, token: bob.token, ts: t0 + 310_000, dir: "b")
            #expect(latest.status == .ok && latest.json["event_id"] == own.json["event_id"], "latest: \(latest.json)")
            pair.network.setDown("a.test", false)

            // Before the room existed: no one has anything.
            let none = try await eventNear(b, room, token: bob.token, ts: t0 - 1000, dir: "b")
            #expect(none.status == .notFound && none.json["errcode"] == "M_NOT_FOUND", "none: \(none.json)")
        }
        try await pair.close()
    }

    @Test func federationEndpoint() async throws {
        let clock = TestClock()
        let t0 = clock.now
        let pair = try await FederatedPair.make(clock: clock.clock)
        try await pair.run { a, b in
            let (room, alice, _) = try await sharedRoom(a, b)
            clock.now = t0 + 60_000
            let sent = try await a.call(.put, "\(base)/rooms/\(enc(room))/send/m.room.message/t1", token: alice.token,
                                        body: ["msgtype": "m.text", "body": "hi"])
            let secret = try await createRoom(a, token: alice.token, ["preset": "private_chat"])
            let fromB = pair.network.transport(origin: "b.test", key: pair.b.homeserver.signingKey)
            func ask(_ room: String, _ query: String) async throws -> Result<JSONObject, RemoteError> {
                do {
                    return .success(try await fromB.json(to: try ServerName("a.test"), method: "GET",
                                                         path: "/_matrix/federation/v1/timestamp_to_event/\(enc(room))?\(query)",
                                                         body: nil, signed: true))
                } catch let error as RemoteError { return .failure(error) }
            }
            let found = try await ask(room, "ts=\(t0 + 30_000)&dir=f").get()
            #expect(found["event_id"] == sent.json["event_id"] && found["origin_server_ts"] == .int(t0 + 60_000), "\(found)")
            let cases: [(String, String, Int, String)] = [
                (room, "dir=f", 400, "M_MISSING_PARAM"), (room, "ts=soon&dir=f", 400, "M_INVALID_PARAM"),
                (room, "ts=1", 400, "M_MISSING_PARAM"), (room, "ts=1&dir=x", 400, "M_INVALID_PARAM"),
                (room, "ts=1&dir=b", 404, "M_NOT_FOUND"), (secret, "ts=1&dir=f", 403, "M_FORBIDDEN"),
                ("!nowhere:a.test", "ts=1&dir=f", 404, "M_NOT_FOUND"),
            ]
            for (target, query, status, errcode) in cases {
                guard case .failure(let error) = try await ask(target, query) else { Issue.record("\(query) answered"); continue }
                #expect(error.status == status && error.errcode == errcode, "\(query): \(error)")
            }
            let unsigned = try await a.call(.get, "/_matrix/federation/v1/timestamp_to_event/\(enc(room))?ts=1&dir=f")
            #expect(unsigned.status == .unauthorized)
        }
        try await pair.close()
    }
}
