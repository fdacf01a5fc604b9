import Foundation
import Hummingbird
import HummingbirdTesting
import MatrixProtocol
import Services
import Testing

private let base = "/_matrix/client/v3"

/// The room IDs of a hierarchy response, in order.
private func roomIDs(_ json: JSONObject) -> [String] {
    (json["rooms"]?.arrayValue ?? []).compactMap { $0["room_id"]?.stringValue }
}

private func hierarchy(_ client: some TestClientProtocol, _ room: String, token: String?, _ query: String = "") async throws
    -> (status: HTTPResponse.Status, json: JSONObject) {
    try await client.call(.get, "/_matrix/client/v1/rooms/\(enc(room))/hierarchy\(query.isEmpty ? "" : "?" + query)", token: token)
}

/// Links `child` into `space` with an `m.space.child` event.
private func addChild(_ client: some TestClientProtocol, token: String, space: String, child: String, _ content: JSONObject) async throws {
    let r = try await client.call(.put, "\(base)/rooms/\(enc(space))/state/m.space.child/\(enc(child))", token: token, body: content)
    #expect(r.status == .ok, "m.space.child: \(r.json)")
}

/// A space on `client`'s server, made by `token`'s user:
///
///     space (public)
///       public   (order "a", suggested)
///       private  (invite only, encrypted; order "b")
///       members  (restricted to the space's members; no order, linked first)
///       subspace (public space; linked last)
///         deep   (public)
///       (one unlinked child: empty via)
struct TestSpace {
    var space = "", publicRoom = "", privateRoom = "", members = "", subspace = "", deep = ""

    /// `clock` moves on a second before each link, so links are ordered by time.
    static func make(_ client: some TestClientProtocol, token: String, server: String, clock: TestClock) async throws -> TestSpace {
        var s = TestSpace()
        s.space = try await createRoom(client, token: token, ["preset": "public_chat", "name": "Space", "topic": "All of it",
                                                              "creation_content": ["type": "m.space"]])
        s.publicRoom = try await createRoom(client, token: token, ["preset": "public_chat", "name": "Public"])
        s.privateRoom = try await createRoom(client, token: token, [
            "preset": "private_chat", "name": "Private",
            "initial_state": [["type": "m.room.encryption", "state_key": "", "content": ["algorithm": "m.megolm.v1.aes-sha2"]]],
        ])
        s.members = try await createRoom(client, token: token, [
            "preset": "private_chat", "name": "Members", "room_version": "10",
            "initial_state": [["type": "m.room.join_rules", "state_key": "",
                               "content": ["join_rule": "restricted", "allow": [["type": "m.room_membership", "room_id": .string(s.space)]]]]],
        ])
        s.subspace = try await createRoom(client, token: token, ["preset": "public_chat", "name": "Sub", "creation_content": ["type": "m.space"]])
        s.deep = try await createRoom(client, token: token, ["preset": "public_chat", "name": "Deep"])
        let via: JSONValue = [.string(server)]
        let links: [(String, String, JSONObject)] = [
            (s.space, s.members, ["via": via]), (s.space, s.subspace, ["via": via]),
            (s.space, s.privateRoom, ["via": via, "order": "b"]), (s.space, s.publicRoom, ["via": via, "order": "a", "suggested": true]),
            (s.space, "!gone:\(server)", ["via": []]), (s.subspace, s.deep, ["via": via]),
        ]
        for (space, child, content) in links {
            clock.now += 1000
            try await addChild(client, token: token, space: space, child: child, content)
        }
        return s
    }
}

@Suite struct SpaceHierarchyTests {
    @Test func walksTheTreeDepthFirstInTheSpecOrder() async throws {
        let clock = TestClock()
        let hs = try await TestHomeserver.make(configure: openRegistration, clock: clock.clock)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice")
            let s = try await TestSpace.make(client, token: alice.token, server: "localhost", clock: clock)
            let all = try await hierarchy(client, s.space, token: alice.token)
            #expect(all.status == .ok, "hierarchy: \(all.json)")
            // Ordered children first ("a" before "b"), then by the time their link was made.
            #expect(roomIDs(all.json) == [s.space, s.publicRoom, s.privateRoom, s.members, s.subspace, s.deep])
            #expect(all.json["next_batch"] == nil)

            let rooms = all.json["rooms"]?.arrayValue ?? []
            let space = rooms.first?.objectValue ?? [:]
            #expect(space["name"] == "Space" && space["topic"] == "All of it" && space["room_type"] == "m.space")
            #expect(space["num_joined_members"] == 1 && space["join_rule"] == "public" && space["world_readable"] == false)
            #expect(space["guest_can_join"] == false && space["room_version"] != nil)
            let childrenState = space["children_state"]?.arrayValue ?? []
            #expect(childrenState.count == 4, "the unlinked child is left out: \(childrenState)")
            #expect(childrenState.allSatisfy { $0["type"] == "m.space.child" && $0["origin_server_ts"]?.intValue != nil && $0["sender"] != nil })
            let privateRoom = rooms.first { $0["room_id"] == .string(s.privateRoom) }
            #expect(privateRoom?["encryption"] == "m.megolm.v1.aes-sha2" && privateRoom?["join_rule"] == "invite")
            #expect(privateRoom?["children_state"] == [], "not a space: no children")
            let members = rooms.first { $0["room_id"] == .string(s.members) }
            #expect(members?["allowed_room_ids"] == [.string(s.space)] && members?["join_rule"] == "restricted")

            let shallow = try await hierarchy(client, s.space, token: alice.token, "max_depth=1")
            #expect(roomIDs(shallow.json) == [s.space, s.publicRoom, s.privateRoom, s.members, s.subspace])
            let suggested = try await hierarchy(client, s.space, token: alice.token, "suggested_only=true")
            #expect(roomIDs(suggested.json) == [s.space, s.publicRoom])
        }
        try await hs.close()
    }

    @Test func showsOnlyRoomsTheUserMaySee() async throws {
        let clock = TestClock()
        let hs = try await TestHomeserver.make(configure: openRegistration, clock: clock.clock)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice")
            let bob = try await registerUser(client, "bob")
            let s = try await TestSpace.make(client, token: alice.token, server: "localhost", clock: clock)
            // Public rooms only: the private one is hidden, the restricted one needs the space.
            let outside = try await hierarchy(client, s.space, token: bob.token)
            #expect(roomIDs(outside.json) == [s.space, s.publicRoom, s.subspace, s.deep])
            _ = try await client.call(.post, "\(base)/join/\(enc(s.space))", token: bob.token, body: [:])
            let member = try await hierarchy(client, s.space, token: bob.token)
            #expect(roomIDs(member.json) == [s.space, s.publicRoom, s.members, s.subspace, s.deep])
            // An invite shows the private room.
            _ = try await client.call(.post, "\(base)/rooms/\(enc(s.privateRoom))/invite", token: alice.token, body: ["user_id": .string(bob.userID)])
            let invited = try await hierarchy(client, s.space, token: bob.token)
            #expect(roomIDs(invited.json) == [s.space, s.publicRoom, s.privateRoom, s.members, s.subspace, s.deep])
        }
        try await hs.close()
    }

    @Test func paginatesWithNextBatch() async throws {
        let clock = TestClock()
        let hs = try await TestHomeserver.make(configure: openRegistration, clock: clock.clock)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice")
            let bob = try await registerUser(client, "bob")
            let s = try await TestSpace.make(client, token: alice.token, server: "localhost", clock: clock)
            var seen: [String] = []
            var from: String?
            var pages = 0
            repeat {
                let page = try await hierarchy(client, s.space, token: alice.token, "limit=2" + (from.map { "&from=\($0)" } ?? ""))
                #expect(page.status == .ok, "page: \(page.json)")
                #expect(roomIDs(page.json).count <= 2)
                seen += roomIDs(page.json)
                from = page.json["next_batch"]?.stringValue
                pages += 1
            } while from != nil && pages < 10
            #expect(seen == [s.space, s.publicRoom, s.privateRoom, s.members, s.subspace, s.deep] && pages == 3, "\(seen) \(pages) \(s)")

            let first = try await hierarchy(client, s.space, token: alice.token, "limit=1&max_depth=3")
            let token = first.json["next_batch"]?.stringValue ?? ""
            let changed = try await hierarchy(client, s.space, token: alice.token, "limit=1&from=\(token)")
            #expect(changed.status == .badRequest && changed.json["errcode"] == "M_INVALID_PARAM", "max_depth changed: \(changed.json)")
            let suggested = try await hierarchy(client, s.space, token: alice.token, "limit=1&max_depth=3&suggested_only=true&from=\(token)")
            #expect(suggested.status == .badRequest && suggested.json["errcode"] == "M_INVALID_PARAM")
            let otherUser = try await hierarchy(client, s.space, token: bob.token, "limit=1&max_depth=3&from=\(token)")
            #expect(otherUser.status == .badRequest && otherUser.json["errcode"] == "M_INVALID_PARAM")
            let same = try await hierarchy(client, s.space, token: alice.token, "limit=1&max_depth=3&from=\(token)")
            #expect(same.status == .ok && roomIDs(same.json) == [s.publicRoom])
        }
        try await hs.close()
    }

    @Test func errors() async throws {
        let clock = TestClock()
        let hs = try await TestHomeserver.make(configure: openRegistration, clock: clock.clock)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice")
            let bob = try await registerUser(client, "bob")
            let s = try await TestSpace.make(client, token: alice.token, server: "localhost", clock: clock)
            for query in ["limit=0", "limit=x", "max_depth=-1", "suggested_only=maybe", "from=nonsense"] {
                let r = try await hierarchy(client, s.space, token: alice.token, query)
                #expect(r.status == .badRequest && r.json["errcode"] == "M_INVALID_PARAM", "\(query): \(r.json)")
            }
            let hidden = try await hierarchy(client, s.privateRoom, token: bob.token)
            #expect(hidden.status == .forbidden && hidden.json["errcode"] == "M_FORBIDDEN")
            let unknown = try await hierarchy(client, "!nowhere:localhost", token: alice.token)
            #expect(unknown.status == .forbidden && unknown.json["errcode"] == "M_FORBIDDEN")
            let anonymous = try await hierarchy(client, s.space, token: nil)
            #expect(anonymous.status == .unauthorized && anonymous.json["errcode"] == "M_MISSING_TOKEN")
        }
        try await hs.close()
    }
}

@Suite struct FederatedSpaceHierarchyTests {
    @Test func aSpaceOnAnotherServerIsAskedOfItsServers() async throws {
        let clock = TestClock()
        let pair = try await FederatedPair.make(clock: clock.clock)
        try await pair.run { a, b in
            let alice = try await registerUser(a, "alice")
            let bob = try await registerUser(b, "bob")
            let carol = try await registerUser(b, "carol")
            let s = try await TestSpace.make(a, token: alice.token, server: "a.test", clock: clock)
            // B is in none of these rooms: the space, then the subspace, come from A.
            let outside = try await hierarchy(b, s.space, token: bob.token)
            #expect(outside.status == .ok, "hierarchy: \(outside.json)")
            #expect(roomIDs(outside.json) == [s.space, s.publicRoom, s.subspace, s.deep])
            let space = outside.json["rooms"]?.arrayValue?.first
            #expect(space?["name"] == "Space" && space?["children_state"]?.arrayValue?.count == 4)
            // A's answers are kept five minutes: with A down B still answers, then it cannot.
            pair.network.setDown("a.test", true)
            let kept = try await hierarchy(b, s.space, token: carol.token)
            #expect(roomIDs(kept.json) == [s.space, s.publicRoom, s.subspace, s.deep], "\(kept.json)")
            clock.now += 5 * 60 * 1000 + 1
            let expired = try await hierarchy(b, s.space, token: carol.token)
            #expect(expired.status == .forbidden, "\(expired.json)")
            pair.network.setDown("a.test", false)

            // Bob joins the space: A now shows B the restricted room, and B shows it to bob only.
            let join = try await b.call(.post, "\(base)/join/\(enc(s.space))?via=a.test", token: bob.token, body: [:])
            #expect(join.status == .ok, "join: \(join.json)")
            let member = try await hierarchy(b, s.space, token: bob.token)
            #expect(roomIDs(member.json) == [s.space, s.publicRoom, s.members, s.subspace, s.deep], "\(member.json)")
            let members = member.json["rooms"]?.arrayValue?.first { $0["room_id"] == .string(s.members) }
            #expect(members?["allowed_room_ids"] == [.string(s.space)])
            let other = try await hierarchy(b, s.space, token: carol.token)
            #expect(roomIDs(other.json) == [s.space, s.publicRoom, s.subspace, s.deep])

            // A space of B's with a child on A that B is not in.
            let bSpace = try await createRoom(b, token: bob.token, ["preset": "public_chat", "creation_content": ["type": "m.space"]])
            try await addChild(b, token: bob.token, space: bSpace, child: s.deep, ["via": ["a.test"]])
            try await addChild(b, token: bob.token, space: bSpace, child: "!unreachable:nowhere.test", ["via": ["nowhere.test"]])
            let mixed = try await hierarchy(b, bSpace, token: carol.token)
            #expect(roomIDs(mixed.json) == [bSpace, s.deep], "\(mixed.json)")

            // A room no server of ours can tell us about.
            let unknown = try await hierarchy(b, "!nowhere:a.test", token: bob.token)
            #expect(unknown.status == .forbidden && unknown.json["errcode"] == "M_FORBIDDEN")
        }
        try await pair.close()
    }

    @Test func federationEndpointServesRoomChildrenAndInaccessibleChildren() async throws {
        let clock = TestClock()
        let pair = try await FederatedPair.make(clock: clock.clock)
        try await pair.run { a, b in
            let alice = try await registerUser(a, "alice")
            let s = try await TestSpace.make(a, token: alice.token, server: "a.test", clock: clock)
            let fromB = pair.network.transport(origin: "b.test", key: pair.b.homeserver.signingKey)
            func ask(_ room: String, _ query: String = "") async throws -> Result<JSONObject, RemoteError> {
                do {
                    return .success(try await fromB.json(to: try ServerName("a.test"), method: "GET",
                                                         path: "/_matrix/federation/v1/hierarchy/\(enc(room))\(query)", body: nil, signed: true))
                } catch let error as RemoteError { return .failure(error) }
            }
            let answer = try await ask(s.space).get()
            #expect(answer["room"]?["room_id"] == .string(s.space) && answer["room"]?["children_state"]?.arrayValue?.count == 4)
            let children = (answer["children"]?.arrayValue ?? []).compactMap { $0["room_id"]?.stringValue }
            #expect(Set(children) == [s.publicRoom, s.subspace], "children: \(answer)")
            #expect(Set((answer["inaccessible_children"]?.arrayValue ?? []).compactMap(\.stringValue)) == [s.privateRoom, s.members])
            let suggested = try await ask(s.space, "?suggested_only=true").get()
            #expect((suggested["children"]?.arrayValue ?? []).compactMap { $0["room_id"]?.stringValue } == [s.publicRoom])

            for room in [s.privateRoom, "!nowhere:a.test"] {
                guard case .failure(let error) = try await ask(room) else { Issue.record("\(room) was served"); continue }
                #expect(error.status == 404 && error.errcode == "M_NOT_FOUND")
            }
            guard case .failure(let bad) = try await ask(s.space, "?suggested_only=yes") else { Issue.record("bad flag accepted"); return }
            #expect(bad.status == 400 && bad.errcode == "M_INVALID_PARAM")
            let unsigned = try await a.call(.get, "/_matrix/federation/v1/hierarchy/\(enc(s.space))")
            #expect(unsigned.status == .unauthorized)
            _ = b
        }
        try await pair.close()
    }
}
