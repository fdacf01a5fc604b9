import Sodium
import Testing
@testable import MatrixProtocol

/// Rule 5, the membership rules every version shares, each reject path with its reason.
@Suite struct AuthRulesMembershipTests {
    @Test func joins() throws {
        var room = try AuthTestRoom("10", joinRule: "invite")
        #expect(room.rejects(try room.member("@bob:x", "join"), "the join rule is invite and @bob:x is not invited"))
        #expect(room.rejects(try room.member("@bob:x", "join", by: "@carol:x"), "on behalf of"))
        #expect(room.rejects(try room.event("m.room.member", nil, "@bob:x", ["membership": "join"]), "no state_key"))
        #expect(room.rejects(try room.event("m.room.member", "@bob:x", "@bob:x", [:]), "no content.membership"))
        #expect(room.rejects(try room.member("@bob:x", "dance"), "membership \"dance\" is unknown"))
        try room.setMember("@bob:x", "invite", by: "@alice:x")
        #expect(room.allows(try room.member("@bob:x", "join")))
        try room.setMember("@bob:x", "ban", by: "@alice:x")
        #expect(room.rejects(try room.member("@bob:x", "join"), "banned"))
        let closed = try AuthTestRoom("10", joinRule: "private")
        #expect(closed.rejects(try closed.member("@bob:x", "join"), "the join rule private does not let"))
        let open = try AuthTestRoom("10", joinRule: "public")
        #expect(open.allows(try open.member("@bob:x", "join")))
        // No join rules event: invite-only.
        let none = try AuthTestRoom("10", joinRule: nil)
        #expect(none.rejects(try none.member("@bob:x", "join"), "the join rule is invite"))
    }

    /// 5.3.1: the creator's first join needs exactly the create event as prev event. The rule
    /// reads the state key only, so someone else may send it (Synapse agrees; gmsl does not).
    @Test func creatorFirstJoin() throws {
        let room = try AuthTestRoom("1", hasPowerLevels: false, joinRule: nil, creatorJoins: false)
        let create = room.create.eventID
        #expect(room.allows(try room.member("@alice:x", "join", prev: [create])))
        #expect(room.allows(try room.member("@alice:x", "join", by: "@bob:x", prev: [create])))
        #expect(room.rejects(try room.member("@alice:x", "join", prev: []), "not invited"))
        #expect(room.rejects(try room.member("@alice:x", "join", prev: [create, "$other:x"]), "not invited"))
        #expect(room.rejects(try room.member("@bob:x", "join", prev: [create]), "not invited"))
    }

    @Test func invites() throws {
        var room = try AuthTestRoom("10", powerLevels: ["users": ["@alice:x": 100], "invite": 10])
        #expect(room.allows(try room.member("@bob:x", "invite", by: "@alice:x")))
        #expect(room.rejects(try room.member("@bob:x", "invite", by: "@carol:x"), "not joined to the room and cannot invite"))
        try room.setMember("@carol:x", "join")
        #expect(room.rejects(try room.member("@bob:x", "invite", by: "@carol:x"), "inviting needs 10"))
        try room.setMember("@bob:x", "join")
        #expect(room.rejects(try room.member("@bob:x", "invite", by: "@alice:x"), "already joined"))
        try room.setMember("@bob:x", "ban", by: "@alice:x")
        #expect(room.rejects(try room.member("@bob:x", "invite", by: "@alice:x"), "banned"))
    }

    @Test func leavesKicksAndUnbans() throws {
        var room = try AuthTestRoom("10", powerLevels: ["users": ["@alice:x": 100, "@mod:x": 50, "@peer:x": 50], "ban": 60])
        for user in ["@mod:x", "@peer:x", "@bob:x"] { try room.setMember(user, "join") }
        #expect(room.allows(try room.member("@bob:x", "leave")))
        #expect(room.rejects(try room.member("@carol:x", "leave"), "cannot leave: membership is none"))
        #expect(room.allows(try room.member("@bob:x", "leave", by: "@mod:x")))
        #expect(room.rejects(try room.member("@peer:x", "leave", by: "@mod:x"), "cannot remove @peer:x"))
        #expect(room.rejects(try room.member("@mod:x", "leave", by: "@bob:x"), "kicking needs 50"))
        #expect(room.rejects(try room.member("@bob:x", "leave", by: "@carol:x"), "not joined to the room and cannot kick"))
        // Unbanning needs the ban level as well.
        try room.setMember("@eve:x", "ban", by: "@alice:x")
        #expect(room.rejects(try room.member("@eve:x", "leave", by: "@mod:x"), "unbanning needs the ban level 60"))
        #expect(room.allows(try room.member("@eve:x", "leave", by: "@alice:x")))
        // A banned user cannot lift their own ban.
        #expect(room.rejects(try room.member("@eve:x", "leave"), "membership is ban"))
        // Self-leave from knock needs v7.
        var v6 = try AuthTestRoom("6")
        try v6.setMember("@bob:x", "knock")
        #expect(v6.rejects(try v6.member("@bob:x", "leave"), "membership is knock"))
    }

    @Test func bans() throws {
        var room = try AuthTestRoom("10", powerLevels: ["users": ["@alice:x": 100, "@mod:x": 50, "@peer:x": 50]])
        for user in ["@mod:x", "@peer:x", "@bob:x"] { try room.setMember(user, "join") }
        #expect(room.allows(try room.member("@bob:x", "ban", by: "@mod:x")))
        #expect(room.allows(try room.member("@stranger:y", "ban", by: "@mod:x")))
        #expect(room.rejects(try room.member("@peer:x", "ban", by: "@mod:x"), "cannot ban @peer:x"))
        #expect(room.rejects(try room.member("@mod:x", "ban", by: "@bob:x"), "banning needs 50"))
        #expect(room.rejects(try room.member("@bob:x", "ban", by: "@carol:x"), "not joined to the room and cannot ban"))
    }

    @Test func nonMemberEvents() throws {
        var room = try AuthTestRoom("10", powerLevels: ["users": ["@alice:x": 100], "invite": 20, "events": ["m.room.topic": 10]])
        try room.setMember("@bob:x", "join")
        #expect(room.rejects(try room.event("m.room.message", nil, "@carol:x", ["body": "hi"]), "@carol:x is not joined"))
        #expect(room.allows(try room.event("m.room.message", nil, "@bob:x", ["body": "hi"])))
        #expect(room.rejects(try room.event("m.room.topic", "", "@bob:x", ["topic": "t"]), "m.room.topic needs 10"))
        #expect(room.rejects(try room.event("m.room.name", "", "@bob:x", ["name": "n"]), "m.room.name needs 50"))
        #expect(room.rejects(try room.event("m.room.third_party_invite", "tok", "@bob:x", [:]), "needs the invite level 20"))
        #expect(room.allows(try room.event("m.room.third_party_invite", "tok", "@alice:x", [:])))
        // 9: a state key naming a user is theirs.
        #expect(room.rejects(try room.event("my.state", "@bob:x", "@alice:x", [:]), "starts with '@' and is not the sender"))
        #expect(room.allows(try room.event("my.state", "@alice:x", "@alice:x", [:])))
    }

    /// 5.4.1: third-party invites, with a real identity-server signature.
    @Test func thirdPartyInvites() throws {
        let key = try SigningKey(keyID: "ed25519:0", seed: Array(repeating: 7, count: 32))
        var room = try AuthTestRoom("10")
        try room.set("m.room.third_party_invite", "tok", "@alice:x",
                     ["public_key": "junk", "public_keys": [["public_key": .string(key.publicKeyBase64)]]])
        func invite(mxid: String = "@bob:x", token: String = "tok", signedBy signer: SigningKey? = nil,
                    sender: String = "@alice:x") throws -> PDU {
            let signed = try JSONSigning.sign(["mxid": .string(mxid), "token": .string(token), "sender": "@alice:x"],
                                              entity: "id.example", key: signer ?? key)
            return try room.member("@bob:x", "invite", by: sender,
                                   ["third_party_invite": ["display_name": "b...", "signed": .object(signed)]])
        }
        #expect(room.allows(try invite()))
        // Only whoever published the third-party invite may redeem it.
        #expect(room.rejects(try invite(sender: "@carol:x"), "was sent by @alice:x, not @carol:x"))
        #expect(room.rejects(try invite(mxid: "@carol:x"), "mxid @carol:x is not the state_key @bob:x"))
        #expect(room.rejects(try invite(token: "other"), "no m.room.third_party_invite with state_key other"))
        let stranger = try SigningKey(keyID: "ed25519:0", seed: Array(repeating: 9, count: 32))
        #expect(room.rejects(try invite(signedBy: stranger), "no signature in third_party_invite.signed verifies"))
        #expect(room.rejects(try room.member("@bob:x", "invite", by: "@alice:x", ["third_party_invite": ["display_name": "b"]]),
                             "no signed object"))
        #expect(room.rejects(try room.member("@bob:x", "invite", by: "@alice:x", ["third_party_invite": ["signed": ["mxid": "@bob:x"]]]),
                             "lacks mxid or token"))
        let unsigned = try room.member("@bob:x", "invite", by: "@alice:x",
                                       ["third_party_invite": ["signed": ["mxid": "@bob:x", "token": "tok"]]])
        #expect(room.rejects(unsigned, "carries no ed25519 signature"))
        // Without a usable key the signature cannot be verified, and the rejection says so.
        var keyless = room
        try keyless.set("m.room.third_party_invite", "tok", "@alice:x", ["public_key": "junk"])
        #expect(keyless.rejects(try invite(), "cannot verify third_party_invite.signed"))
        try room.setMember("@bob:x", "ban", by: "@alice:x")
        #expect(room.rejects(try invite(), "banned"))
    }
}
