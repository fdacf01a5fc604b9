import Foundation
import Hummingbird
import HummingbirdTesting
import MatrixProtocol
import Services
import Testing

private let base = "/_matrix/client/v3"

/// A space-like room R1 and a room R2 restricted to R1's members, both on `client`'s server,
/// created by `token`'s user. R2's invite level is 50, so only its creator may vouch for joins.
func restrictedRooms(_ client: some TestClientProtocol, token: String) async throws -> (space: String, restricted: String) {
    let space = try await createRoom(client, token: token, ["preset": "public_chat", "name": "Space",
                                                            "creation_content": ["type": "m.space"]])
    let restricted = try await createRoom(client, token: token, [
        "preset": "private_chat", "name": "Members only", "room_version": "10",
        "initial_state": [["type": "m.room.join_rules", "state_key": "",
                           "content": ["join_rule": "restricted", "allow": [["type": "m.room_membership", "room_id": .string(space)]]]]],
        "power_level_content_override": ["invite": 50],
    ])
    return (space, restricted)
}

@Suite struct RestrictedJoinTests {
    @Test func remoteMemberOfTheAllowedRoomJoinsThroughTheResidentServer() async throws {
        let pair = try await FederatedPair.make()
        try await pair.run { a, b in
            let alice = try await registerUser(a, "alice")
            let bob = try await registerUser(b, "bob")
            let carol = try await registerUser(b, "carol")
            let (space, room) = try await restrictedRooms(a, token: alice.token)
            let inSpace = try await b.call(.post, "\(base)/join/\(enc(space))?via=a.test", token: bob.token, body: [:])
            #expect(inSpace.status == .ok, "join R1: \(inSpace.json)")

            let join = try await b.call(.post, "\(base)/join/\(enc(room))?via=a.test", token: bob.token, body: [:])
            #expect(join.status == .ok, "join R2: \(join.json)")
            // The voucher named by make_join stays in the event, and A's signature is on B's copy.
            let member = try await b.call(.get, "\(base)/rooms/\(enc(room))/state/m.room.member/\(enc(bob.userID))", token: bob.token)
            #expect(member.json["join_authorised_via_users_server"] == .string(alice.userID), "member: \(member.json)")
            let joined = try await a.call(.get, "\(base)/rooms/\(enc(room))/joined_members", token: alice.token)
            #expect(joined.json["joined"]?[bob.userID] != nil, "A members: \(joined.json)")
            let state = try await pair.b.homeserver.rooms.currentState(roomID: room)
            let stored = try await pair.b.homeserver.database.event(state[.member(bob.userID)]?.eventID ?? "")
            let signatures = stored.flatMap { try? JSONParser.parseObject($0.json) }?["signatures"]?.objectValue
            #expect(signatures?["a.test"] != nil && signatures?["b.test"] != nil, "signatures: \(String(describing: signatures))")

            // Carol is in no allowed room: A refuses, and B passes the 403 on.
            let refused = try await b.call(.post, "\(base)/join/\(enc(room))?via=a.test", token: carol.token, body: [:])
            #expect(refused.status == .forbidden && refused.json["errcode"] == "M_FORBIDDEN", "carol: \(refused.json)")
            #expect(try await pair.a.homeserver.rooms.membership(of: carol.userID, in: room) == nil)
        }
        try await pair.close()
    }

    @Test func localJoinNeedsMembershipOfAnAllowedRoom() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice")
            let dave = try await registerUser(client, "dave")
            let (space, room) = try await restrictedRooms(client, token: alice.token)
            // Aaron may invite too (level 50) and sorts first by ID; alice, at 100, vouches.
            let aaron = try await registerUser(client, "aaron")
            _ = try await client.call(.post, "\(base)/rooms/\(enc(room))/invite", token: alice.token, body: ["user_id": .string(aaron.userID)])
            let aaronJoin = try await client.call(.post, "\(base)/join/\(enc(room))", token: aaron.token, body: [:])
            #expect(aaronJoin.status == .ok, "aaron: \(aaronJoin.json)")
            var levels = try await client.call(.get, "\(base)/rooms/\(enc(room))/state/m.room.power_levels", token: alice.token).json
            levels["users"] = ["\(alice.userID)": 100, "\(aaron.userID)": 50]
            let raised = try await client.call(.put, "\(base)/rooms/\(enc(room))/state/m.room.power_levels", token: alice.token, body: levels)
            #expect(raised.status == .ok, "levels: \(raised.json)")
            let refused = try await client.call(.post, "\(base)/join/\(enc(room))", token: dave.token, body: [:])
            #expect(refused.status == .forbidden && refused.json["errcode"] == "M_FORBIDDEN", "dave: \(refused.json)")
            _ = try await client.call(.post, "\(base)/join/\(enc(space))", token: dave.token, body: [:])
            let join = try await client.call(.post, "\(base)/join/\(enc(room))", token: dave.token, body: [:])
            #expect(join.status == .ok, "dave: \(join.json)")
            let member = try await client.call(.get, "\(base)/rooms/\(enc(room))/state/m.room.member/\(enc(dave.userID))", token: dave.token)
            #expect(member.json["join_authorised_via_users_server"] == .string(alice.userID))
        }
        try await hs.close()
    }

    /// C is in R2 but cannot vouch: first it is not in R1 (`M_UNABLE_TO_AUTHORISE_JOIN`), and
    /// B, not yet in R2, joins through the next server, A. Then C is back in R1 but its users
    /// may not invite (`M_UNABLE_TO_GRANT_JOIN`); B is in R2 now, and as none of its users may
    /// vouch either, it joins through a server with one who may (A).
    @Test func aServerThatCannotVouchIsSkipped() async throws {
        let pair = try await FederatedPair.make()
        let c = try await FederatedPair.server("c.test", on: pair.network)
        try await pair.run { a, b in
            try await pair.with(c, named: "c.test") { cc in
                let alice = try await registerUser(a, "alice")
                let bob = try await registerUser(b, "bob")
                let erin = try await registerUser(b, "erin")
                let frank = try await registerUser(b, "frank")
                let cat = try await registerUser(cc, "cat")
                let (space, room) = try await restrictedRooms(a, token: alice.token)
                for (client, user) in [(cc, cat), (b, bob), (b, erin)] {
                    let r = try await client.call(.post, "\(base)/join/\(enc(space))?via=a.test", token: user.token, body: [:])
                    #expect(r.status == .ok, "join R1: \(r.json)")
                }
                let catJoin = try await cc.call(.post, "\(base)/join/\(enc(room))?via=a.test", token: cat.token, body: [:])
                #expect(catJoin.status == .ok, "cat joins R2: \(catJoin.json)")
                _ = try await cc.call(.post, "\(base)/rooms/\(enc(space))/leave", token: cat.token, body: [:])

                let fromB = pair.network.transport(origin: "b.test", key: pair.b.homeserver.signingKey)
                func makeJoin(_ user: String) async -> RemoteError? {
                    do {
                        _ = try await fromB.json(to: try ServerName("c.test"), method: "GET",
                                                 path: "/_matrix/federation/v1/make_join/\(enc(room))/\(enc(user))?ver=10", body: nil, signed: true)
                        return nil
                    } catch { return error as? RemoteError }
                }
                let cannotAuthorise = await makeJoin(bob.userID)
                #expect(cannotAuthorise?.status == 400 && cannotAuthorise?.errcode == "M_UNABLE_TO_AUTHORISE_JOIN",
                        "\(String(describing: cannotAuthorise))")
                let bobJoin = try await b.call(.post, "\(base)/join/\(enc(room))?via=c.test&via=a.test", token: bob.token, body: [:])
                #expect(bobJoin.status == .ok, "bob: \(bobJoin.json)")
                let bobMember = try await b.call(.get, "\(base)/rooms/\(enc(room))/state/m.room.member/\(enc(bob.userID))", token: bob.token)
                #expect(bobMember.json["join_authorised_via_users_server"] == .string(alice.userID))

                let back = try await cc.call(.post, "\(base)/join/\(enc(space))?via=a.test", token: cat.token, body: [:])
                #expect(back.status == .ok, "cat rejoins R1: \(back.json)")
                let cannotGrant = await makeJoin(erin.userID)
                #expect(cannotGrant?.status == 400 && cannotGrant?.errcode == "M_UNABLE_TO_GRANT_JOIN", "\(String(describing: cannotGrant))")
                let erinJoin = try await b.call(.post, "\(base)/join/\(enc(room))", token: erin.token, body: [:])
                #expect(erinJoin.status == .ok, "erin: \(erinJoin.json)")
                let member = try await b.call(.get, "\(base)/rooms/\(enc(room))/state/m.room.member/\(enc(erin.userID))", token: erin.token)
                #expect(member.json["join_authorised_via_users_server"] == .string(alice.userID))
                let joinedOnA = try await a.call(.get, "\(base)/rooms/\(enc(room))/joined_members", token: alice.token)
                #expect(joinedOnA.json["joined"]?[erin.userID] != nil, "A members: \(joinedOnA.json)")

                // Frank is in no allowed room: refused (B knows R1 itself now).
                let refused = try await b.call(.post, "\(base)/join/\(enc(room))?via=c.test", token: frank.token, body: [:])
                #expect(refused.status == .forbidden && refused.json["errcode"] == "M_FORBIDDEN", "frank: \(refused.json)")
            }
        }
        try await pair.close()
        try await c.close()
    }
}
