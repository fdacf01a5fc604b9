@testable import MatrixProtocol
import Testing

@Suite struct PushEvaluatorTests {
    static let me = "@me:example.org"

    func event(sender: String = "@other:example.org", _ content: JSONObject) -> JSONObject {
        event("m.room.message", sender: sender, content)
    }

    func event(_ type: String, sender: String = "@other:example.org", stateKey: String? = nil, _ content: JSONObject) -> JSONObject {
        var json: JSONObject = ["type": .string(type), "sender": .string(sender), "room_id": "!room:example.org",
                                "event_id": "$e", "content": .object(content)]
        if let stateKey { json["state_key"] = .string(stateKey) }
        return json
    }

    func evaluate(_ json: JSONObject, members: Int = 3, senderMayNotify: Bool = true, rules: UserPushRules = UserPushRules(),
                  displayName: String? = nil) -> PushActions? {
        let evaluator = PushEvaluator(ruleset: rules.ruleset(for: Self.me), userID: Self.me)
        return evaluator.evaluate(PushEvent(json: json, memberCount: members) { _ in senderMayNotify }, displayName: displayName)
    }

    func holds(_ condition: JSONObject, _ json: JSONObject) -> Bool {
        var rules = UserPushRules()
        rules.rules[.override] = [PushRule(ruleID: "test", conditions: [condition], actions: ["notify", ["set_tweak": "test"]])]
        return evaluate(json, rules: rules)?.ruleID == "test"
    }

    @Test func globsMatchWholeValuesCaseInsensitively() {
        let glob = PushGlob("lunc?*")
        func lower(_ s: String) -> [Unicode.Scalar] { Array(s.lowercased().unicodeScalars) }
        #expect(glob.matches(lowercased: lower("Lunch plans")))
        #expect(glob.matches(lowercased: lower("LUNCH")))
        #expect(!glob.matches(lowercased: lower(" lunch")))
        #expect(!glob.matches(lowercased: lower("lunc")))
        #expect(PushGlob("m.notice").matches(lowercased: lower("m.NOTICE")))
        #expect(!PushGlob("m.notice").matches(lowercased: lower("m.notices")))
        #expect(PushGlob("a*b*c").matches(lowercased: lower("aXXbYYbc")))
        #expect(!PushGlob("a*b*c").matches(lowercased: lower("aXXbYYb")))
    }

    @Test func bodyGlobsMatchWords() {
        let glob = PushGlob("ex*ple")
        func lower(_ s: String) -> [Unicode.Scalar] { Array(s.lowercased().unicodeScalars) }
        #expect(glob.matchesWords(lowercased: lower("An example event.")))
        #expect(glob.matchesWords(lowercased: lower("exple")))
        #expect(glob.matchesWords(lowercased: lower("An exciting triple-whammy")))
        #expect(!glob.matchesWords(lowercased: lower("Anexample")))
        #expect(!glob.matchesWords(lowercased: lower("examples")))
        #expect(PushGlob("cake").matchesWords(lowercased: lower("I like (cake)!")))
        #expect(!PushGlob("cake").matchesWords(lowercased: lower("cupcakes")))
        #expect(holds(["kind": "event_match", "key": "content.body", "pattern": "ex*ple"], event(["body": "An EXAMPLE"])))
        #expect(!holds(["kind": "event_match", "key": "content.topic", "pattern": "lunch"], event(["topic": "lunch plans"])))
    }

    @Test func eventMatchNeedsAStringValue() {
        #expect(!holds(["kind": "event_match", "key": "content.topic", "pattern": "*"], event(["topic": .null])))
        #expect(!holds(["kind": "event_match", "key": "content.topic", "pattern": "*"], event([:])))
        #expect(holds(["kind": "event_match", "key": "content.topic", "pattern": "*"], event(["topic": ""])))
    }

    @Test func propertyIsAndContainsAreExact() {
        let create = event("m.room.create", stateKey: "", ["m.federate": true, "room_version": "1"])
        #expect(holds(["kind": "event_property_is", "key": #"content.m\.federate"#, "value": true], create))
        #expect(!holds(["kind": "event_property_is", "key": #"content.m\.federate"#, "value": "true"], create))
        #expect(!holds(["kind": "event_property_is", "key": #"content.m\.federate"#, "value": 1], create))
        #expect(!holds(["kind": "event_property_is", "key": "content.m.federate", "value": true], create))
        let aliases = event("m.room.canonical_alias", stateKey: "", ["alt_aliases": ["#somewhere:example.org", "#myroom:example.com"]])
        #expect(holds(["kind": "event_property_contains", "key": "content.alt_aliases", "value": "#myroom:example.com"], aliases))
        #expect(!holds(["kind": "event_property_contains", "key": "content.alt_aliases", "value": ":example.com"], aliases))
        #expect(!holds(["kind": "event_property_contains", "key": "content.alias", "value": "x"], aliases))
    }

    @Test func propertyPathsUnescapeDotsAndBackslashes() {
        #expect(PropertyPath(#"content.m\.relates_to.rel_type"#).components == ["content", "m.relates_to", "rel_type"])
        #expect(PropertyPath(#"content.m\\foo"#).components == ["content", #"m\foo"#])
        #expect(PropertyPath(#"content.m\xfoo"#).components == ["content", #"m\xfoo"#])
        #expect(holds(["kind": "event_property_is", "key": #"content.m\\foo"#, "value": 1], event([#"m\foo"#: 1])))
    }

    @Test func memberCountAndUnknownConditions() {
        #expect(PushCondition.MemberCount("2")?.holds(2) == true)
        #expect(PushCondition.MemberCount("==2")?.holds(3) == false)
        #expect(PushCondition.MemberCount("<=10")?.holds(10) == true)
        #expect(PushCondition.MemberCount(">1")?.holds(1) == false)
        #expect(PushCondition.MemberCount(">=1")?.holds(1) == true)
        #expect(PushCondition.MemberCount("<3")?.holds(2) == true)
        #expect(PushCondition.MemberCount("abc") == nil)
        #expect(PushCondition.MemberCount("<") == nil)
        #expect(!holds(["kind": "org.example.unknown"], event(["body": "hi"])))
    }

    @Test func defaultRulesForMessages() throws {
        let plain = try #require(evaluate(event(["msgtype": "m.text", "body": "hello"])))
        #expect(plain.ruleID == ".m.rule.message" && plain.notify && !plain.highlight)
        let oneToOne = try #require(evaluate(event(["msgtype": "m.text", "body": "hello"]), members: 2))
        #expect(oneToOne.ruleID == ".m.rule.room_one_to_one" && oneToOne.notify)
        #expect(evaluate(event("m.room.encrypted", ["ciphertext": "x"]), members: 2)?.ruleID == ".m.rule.encrypted_room_one_to_one")
        #expect(evaluate(event("m.room.encrypted", ["ciphertext": "x"]))?.ruleID == ".m.rule.encrypted")
        #expect(evaluate(event(["msgtype": "m.notice", "body": "bot"]))?.notify == false)
        #expect(evaluate(event("m.reaction", ["m.relates_to": ["rel_type": "m.annotation", "event_id": "$x", "key": "👍"]]))?.notify == false)
        let edit = evaluate(event(["body": "* fixed", "m.new_content": ["body": "fixed"], "m.relates_to": ["rel_type": "m.replace", "event_id": "$x"]]))
        #expect(edit?.ruleID == ".m.rule.suppress_edits" && edit?.notify == false)
        #expect(evaluate(event("org.example.custom", ["body": "x"])) == nil)
    }

    @Test func defaultRulesForMentionsAndMembership() throws {
        let mention = try #require(evaluate(event(["body": "hi", "m.mentions": ["user_ids": [.string(Self.me)]]])))
        #expect(mention.ruleID == ".m.rule.is_user_mention" && mention.notify && mention.highlight)
        let room = try #require(evaluate(event(["body": "all", "m.mentions": ["room": true]])))
        #expect(room.ruleID == ".m.rule.is_room_mention" && room.highlight)
        // Without the power to notify the room, an @room is an ordinary message.
        #expect(evaluate(event(["body": "all", "m.mentions": ["room": true]]), senderMayNotify: false)?.ruleID == ".m.rule.message")
        let invite = try #require(evaluate(event("m.room.member", stateKey: Self.me, ["membership": "invite"])))
        #expect(invite.ruleID == ".m.rule.invite_for_me" && invite.notify)
        #expect(evaluate(event("m.room.member", stateKey: "@else:example.org", ["membership": "invite"]))?.notify == false)
        let tombstone = try #require(evaluate(event("m.room.tombstone", stateKey: "", ["body": "moved"])))
        #expect(tombstone.highlight)
    }

    @Test func userRulesAndDefaultChanges() {
        var rules = UserPushRules()
        rules.rules[.content] = [PushRule(ruleID: "cake", pattern: "cake", actions: ["notify", ["set_tweak": "highlight", "value": false]])]
        rules.rules[.sender] = [PushRule(ruleID: "@spam:example.org", actions: [])]
        #expect(evaluate(event(["body": "I like cake"]), rules: rules)?.ruleID == "cake")
        #expect(evaluate(event(["body": "I like cake"]), rules: rules)?.highlight == false)
        #expect(evaluate(event(sender: "@spam:example.org", ["body": "buy"]), rules: rules)?.notify == false)
        rules.defaultChanges[DefaultPushRules.master] = UserPushRules.DefaultRuleChange(enabled: true)
        // The master rule comes before every user rule.
        #expect(evaluate(event(["body": "I like cake"]), rules: rules)?.ruleID == DefaultPushRules.master)
        rules.defaultChanges[DefaultPushRules.master] = nil
        rules.rules[.content]?[0].enabled = false
        #expect(evaluate(event(["body": "I like cake"]), rules: rules)?.ruleID == ".m.rule.message")
    }

    @Test func containsDisplayName() {
        var rules = UserPushRules()
        rules.rules[.override] = [PushRule(ruleID: "name", conditions: [["kind": "contains_display_name"]], actions: ["notify"])]
        #expect(evaluate(event(["body": "hey Me Myself, look"]), rules: rules, displayName: "me myself")?.ruleID == "name")
        #expect(evaluate(event(["body": "hey memyself"]), rules: rules, displayName: "me")?.ruleID == ".m.rule.message")
        #expect(evaluate(event(["body": "hey"]), rules: rules, displayName: nil)?.ruleID == ".m.rule.message")
    }

    /// One event evaluated for many members shares what reads only the event, never what
    /// depends on the member: each answer equals that member's evaluation of a fresh event.
    @Test func membersEvaluatedOnOneEventGetTheirOwnAnswers() {
        let users = ["@a:example.org", "@b:example.org", "@c:example.org", "@d:example.org"]
        var cakeLover = UserPushRules()
        cakeLover.rules[.content] = [PushRule(ruleID: "cake", pattern: "cake", actions: ["notify", ["set_tweak": "highlight"]])]
        var byName = UserPushRules()
        byName.rules[.override] = [PushRule(ruleID: "name", conditions: [["kind": "contains_display_name"]], actions: ["notify"])]
        let rules: [String: UserPushRules] = ["@c:example.org": cakeLover, "@d:example.org": byName]
        let names = ["@a:example.org": "Anna", "@d:example.org": "Dora"]
        let events = [
            event(["body": "cake for Dora?", "m.mentions": ["user_ids": ["@b:example.org"]]]),
            event(["body": "cake for Anna", "msgtype": "m.notice"]),
            event("m.room.member", stateKey: "@a:example.org", ["membership": "invite"]),
            event(["body": "hello @room", "m.mentions": ["room": true]]),
        ]
        for json in events {
            let shared = PushEvent(json: json, memberCount: 5) { _ in true }
            for user in users {
                let evaluator = PushEvaluator(ruleset: (rules[user] ?? UserPushRules()).ruleset(for: user), userID: user)
                let alone = evaluator.evaluate(PushEvent(json: json, memberCount: 5) { _ in true }, displayName: names[user])
                #expect(evaluator.evaluate(shared, displayName: names[user]) == alone, "\(user): \(json)")
            }
        }
        // And the answers differ where the members do.
        let first = PushEvent(json: events[0], memberCount: 5) { _ in true }
        let answers = users.map { user in
            PushEvaluator(ruleset: (rules[user] ?? UserPushRules()).ruleset(for: user), userID: user)
                .evaluate(first, displayName: names[user])?.ruleID
        }
        #expect(answers == [".m.rule.message", ".m.rule.is_user_mention", "cake", "name"])
    }

    @Test func rulesetOrderFollowsTheSpec() {
        let set = UserPushRules(rules: [.override: [PushRule(ruleID: "mine", conditions: [], actions: [])]]).ruleset(for: Self.me)
        #expect(set.rules[.override]?.map(\.ruleID) == [
            ".m.rule.master", "mine", ".m.rule.suppress_notices", ".m.rule.invite_for_me", ".m.rule.member_event",
            ".m.rule.is_user_mention", ".m.rule.is_room_mention", ".m.rule.tombstone", ".m.rule.reaction",
            ".m.rule.room.server_acl", ".m.rule.suppress_edits",
        ])
        #expect(set.rules[.underride]?.map(\.ruleID) == [
            ".m.rule.call", ".m.rule.encrypted_room_one_to_one", ".m.rule.room_one_to_one", ".m.rule.message", ".m.rule.encrypted",
        ])
        #expect(set.rules[.content]?.isEmpty == true)
    }

    @Test func inputValidation() throws {
        #expect(throws: MatrixError.self) { try PushRuleInput.kind("global") }
        #expect(try PushRuleInput.rule(kind: .override, ruleID: "x", body: ["actions": ["dont_notify", "coalesce"]]).actions.isEmpty)
        func errcode(_ kind: PushRuleKind, _ id: String, _ body: JSONObject) -> String? {
            do throws(MatrixError) {
                _ = try PushRuleInput.rule(kind: kind, ruleID: id, body: body)
                return nil
            } catch {
                return error.errcode
            }
        }
        #expect(errcode(.override, ".m.rule.mine", ["actions": []]) == "M_INVALID_PARAM")
        #expect(errcode(.override, "a\\b", ["actions": []]) == "M_INVALID_PARAM")
        #expect(errcode(.override, "x", [:]) == "M_MISSING_PARAM")
        #expect(errcode(.override, "x", ["actions": ["explode"]]) == "M_INVALID_PARAM")
        #expect(errcode(.override, "x", ["actions": [], "conditions": "no"]) == "M_INVALID_PARAM")
        #expect(errcode(.override, "x", ["actions": [], "conditions": [["key": "type"]]]) == "M_INVALID_PARAM")
        #expect(errcode(.override, "x", ["actions": [], "conditions": [["kind": "event_match", "key": "type"]]]) == "M_INVALID_PARAM")
        #expect(errcode(.override, "x", ["actions": [], "conditions": [["kind": "room_member_count", "is": "lots"]]]) == "M_INVALID_PARAM")
        #expect(errcode(.override, "x", ["actions": [], "conditions": [["kind": "event_property_is", "key": "a", "value": ["x"]]]]) == "M_INVALID_PARAM")
        #expect(errcode(.override, "x", ["actions": [], "conditions": [["kind": "org.example.future"]]]) == nil)
        #expect(errcode(.content, "x", ["actions": []]) == "M_MISSING_PARAM")
        #expect(errcode(.room, "not-a-room", ["actions": []]) == "M_INVALID_PARAM")
        #expect(errcode(.sender, "@ok:example.org", ["actions": []]) == nil)
    }

    // Members who share a rule shape share one outcome per answer of their personal conditions.

    @Test func membersWithTheDefaultRulesShareAShapeButNotTheirMentions() {
        let alice = "@alice:example.org", bob = "@bob:example.org"
        let forAlice = PushEvaluator(ruleset: UserPushRules().ruleset(for: alice), userID: alice)
        let forBob = PushEvaluator(ruleset: UserPushRules().ruleset(for: bob), userID: bob)
        #expect(forAlice.shape >= 0 && forAlice.shape == forBob.shape)
        #expect(!forAlice.readsDisplayName)

        let mention = event(["body": "hi bob", "m.mentions": ["user_ids": .array([.string(bob)])]])
        for order in [[forAlice, forBob], [forBob, forAlice]] {
            // One event for both, as a room's members are evaluated: the first one's outcome is
            // remembered, and must not become the other's.
            let shared = PushEvent(json: mention, memberCount: 3) { _ in true }
            let outcomes = Dictionary(uniqueKeysWithValues: order.map { ($0.userID, $0.evaluate(shared, displayName: nil)) })
            #expect(outcomes[alice]??.ruleID == ".m.rule.message")
            #expect(outcomes[bob]??.ruleID == ".m.rule.is_user_mention")
            #expect(outcomes[bob]??.highlight == true)
        }
        let invite = event("m.room.member", stateKey: alice, ["membership": "invite"])
        let shared = PushEvent(json: invite, memberCount: 3) { _ in true }
        #expect(forBob.evaluate(shared, displayName: nil)?.ruleID == ".m.rule.member_event")
        #expect(forAlice.evaluate(shared, displayName: nil)?.ruleID == ".m.rule.invite_for_me")
    }

    @Test func aMemberWithRulesOfTheirOwnDoesNotTakeTheSharedOutcome() {
        let alice = "@alice:example.org", carol = "@carol:example.org"
        var quiet = UserPushRules()
        quiet.rules[.override] = [PushRule(ruleID: "mute-messages", conditions: [["kind": "event_match", "key": "type",
                                                                                    "pattern": "m.room.message"]], actions: [])]
        let forAlice = PushEvaluator(ruleset: UserPushRules().ruleset(for: alice), userID: alice)
        let forCarol = PushEvaluator(ruleset: quiet.ruleset(for: carol), userID: carol)
        #expect(forAlice.shape != forCarol.shape)
        let shared = PushEvent(json: event(["body": "hello"]), memberCount: 3) { _ in true }
        #expect(forAlice.evaluate(shared, displayName: nil)?.notify == true)
        #expect(forCarol.evaluate(shared, displayName: nil)?.ruleID == "mute-messages")
        #expect(forCarol.evaluate(shared, displayName: nil)?.notify == false)
    }

    @Test func displayNamesAndLocalpartsAreAnsweredPerMember() {
        let alice = "@alice:example.org", bob = "@bob:example.org"
        func legacy(_ userID: String) -> PushEvaluator {
            var rules = UserPushRules()
            let localpart = String(userID.dropFirst().prefix { $0 != ":" })
            rules.rules[.content] = [PushRule(ruleID: "name", pattern: localpart, actions: ["notify", ["set_tweak": "highlight"]])]
            rules.rules[.override] = [PushRule(ruleID: "display", conditions: [["kind": "contains_display_name"]],
                                               actions: ["notify", ["set_tweak": "highlight"]])]
            return PushEvaluator(ruleset: rules.ruleset(for: userID), userID: userID)
        }
        let forAlice = legacy(alice), forBob = legacy(bob)
        #expect(forAlice.shape >= 0 && forAlice.shape == forBob.shape)
        #expect(forAlice.readsDisplayName)

        let byName = PushEvent(json: event(["body": "ask Robert"]), memberCount: 3) { _ in true }
        #expect(forAlice.evaluate(byName, displayName: "Alice")?.ruleID == ".m.rule.message")
        #expect(forBob.evaluate(byName, displayName: "Robert")?.ruleID == "display")
        let byLocalpart = PushEvent(json: event(["body": "ask alice"]), memberCount: 3) { _ in true }
        #expect(forBob.evaluate(byLocalpart, displayName: "Robert")?.ruleID == ".m.rule.message")
        #expect(forAlice.evaluate(byLocalpart, displayName: "Alice")?.ruleID == "display")
        #expect(forAlice.evaluate(byLocalpart, displayName: nil)?.ruleID == "name")
    }

    // A shape's members are decided at once when the event has nothing their personal conditions read.

    @Test func aSharedOutcomeStandsForEveryMemberOnlyWhenNoPersonalConditionCanHold() {
        let alice = "@alice:example.org", bob = "@bob:example.org"
        let forAlice = PushEvaluator(ruleset: UserPushRules().ruleset(for: alice), userID: alice)
        let forBob = PushEvaluator(ruleset: UserPushRules().ruleset(for: bob), userID: bob)
        let plain = PushEvent(json: event(["body": "hello bob"]), memberCount: 3) { _ in true }
        let shared = forAlice.sharedOutcome(plain)
        #expect(shared??.ruleID == ".m.rule.message")
        #expect(forBob.sharedOutcome(plain)??.ruleID == ".m.rule.message")
        #expect(forBob.evaluate(plain, displayName: nil)?.ruleID == ".m.rule.message")
        // A notice matches no notifying rule: the shared outcome is "none", not "unknown".
        let notice = PushEvent(json: event(["body": "beep", "msgtype": "m.notice"]), memberCount: 3) { _ in true }
        #expect(forAlice.sharedOutcome(notice)??.notify == false)

        // Mentions and invites name someone: each member is evaluated.
        let mention = PushEvent(json: event(["body": "hi", "m.mentions": ["user_ids": .array([.string(bob)])]]), memberCount: 3) { _ in true }
        #expect(forAlice.sharedOutcome(mention) == nil)
        #expect(forBob.evaluate(mention, displayName: nil)?.ruleID == ".m.rule.is_user_mention")
        let invite = PushEvent(json: event("m.room.member", stateKey: alice, ["membership": "invite"]), memberCount: 3) { _ in true }
        #expect(forBob.sharedOutcome(invite) == nil)
        // An empty mention list still has the property: evaluated one by one, and nobody is mentioned.
        let nobody = PushEvent(json: event(["body": "hi", "m.mentions": ["user_ids": []]]), memberCount: 3) { _ in true }
        #expect(forAlice.sharedOutcome(nobody) == nil)
        #expect(forAlice.evaluate(nobody, displayName: nil)?.ruleID == ".m.rule.message")
    }

    @Test func personalConditionsOfOtherKindsOrPathsMakeOtherShapes() {
        let alice = "@alice:example.org", bob = "@bob:example.org"
        func rules(_ userID: String, _ condition: JSONObject) -> PushEvaluator {
            var rules = UserPushRules()
            rules.rules[.override] = [PushRule(ruleID: "me", conditions: [condition], actions: ["notify"])]
            return PushEvaluator(ruleset: rules.ruleset(for: userID), userID: userID)
        }
        let bySender = rules(alice, ["kind": "event_match", "key": "sender", "pattern": .string(alice)])
        let byTopic = rules(bob, ["kind": "event_match", "key": "content.topic", "pattern": .string(bob)])
        let bobBySender = rules(bob, ["kind": "event_match", "key": "sender", "pattern": .string(bob)])
        #expect(bySender.shape != byTopic.shape)
        #expect(bySender.shape == bobBySender.shape)
        // Every message has a sender: the rule might hold for someone, so nobody is decided at once.
        let json = event(sender: alice, ["body": "x"])
        #expect(bySender.sharedOutcome(PushEvent(json: json, memberCount: 3) { _ in true }) == nil)
        #expect(bySender.evaluate(PushEvent(json: json, memberCount: 3) { _ in true }, displayName: nil)?.ruleID == "me")
        #expect(bobBySender.evaluate(PushEvent(json: json, memberCount: 3) { _ in true }, displayName: nil)?.ruleID == ".m.rule.message")
        // A condition naming the user that reads no property (a member count carrying a stray
        // value) may hold on any event: never decided for the whole shape.
        let counted = rules(alice, ["kind": "room_member_count", "is": "3", "value": .string(alice)])
        #expect(counted.sharedOutcome(PushEvent(json: event(["body": "x"]), memberCount: 3) { _ in true }) == nil)
        #expect(counted.evaluate(PushEvent(json: event(["body": "x"]), memberCount: 3) { _ in true }, displayName: nil)?.ruleID == "me")
    }
}
