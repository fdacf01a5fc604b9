import APICore
import Hummingbird
import MatrixProtocol
import Services

/// Push notifications (spec "Push Notifications"): push rules, pushers, and the notifications list.
enum PushRulesEndpoints {
    static func register(on routes: RouteTable, homeserver hs: Homeserver) {
        routes.client(.get, "/pushrules") { request, _ in
            let requester = try await hs.requester(request)
            return .json(["global": .object(try await hs.pushRules.ruleset(of: requester.userID).json)])
        }
        routes.client(.get, "/pushrules/global") { request, _ in
            let requester = try await hs.requester(request)
            return .json(try await hs.pushRules.ruleset(of: requester.userID).json)
        }
        let rulePath = "/pushrules/global/:kind/:ruleID"
        routes.client(.get, rulePath) { request, context in
            let requester = try await hs.requester(request)
            let (kind, ruleID) = try rule(context)
            return .json(try await hs.pushRules.rule(of: requester.userID, kind: kind, ruleID: ruleID).json)
        }
        routes.client(.put, rulePath) { request, context in
            let requester = try await hs.requester(request)
            let (kind, ruleID) = try rule(context)
            let body = try await request.jsonObject(context: context)
            let query = request.uri.queryParameters
            try await hs.pushRules.put(userID: requester.userID, kind: kind, ruleID: ruleID, body: body,
                                       before: query.get("before"), after: query.get("after"))
            return .json([:])
        }
        routes.client(.delete, rulePath) { request, context in
            let requester = try await hs.requester(request)
            let (kind, ruleID) = try rule(context)
            try await hs.pushRules.delete(userID: requester.userID, kind: kind, ruleID: ruleID)
            return .json([:])
        }
        routes.client(.get, rulePath + "/enabled") { request, context in
            let requester = try await hs.requester(request)
            let (kind, ruleID) = try rule(context)
            return .json(["enabled": .bool(try await hs.pushRules.rule(of: requester.userID, kind: kind, ruleID: ruleID).enabled)])
        }
        routes.client(.put, rulePath + "/enabled") { request, context in
            let requester = try await hs.requester(request)
            let (kind, ruleID) = try rule(context)
            let body = try await request.jsonObject(context: context)
            guard let enabled = try body.optionalBool("enabled") else { throw MatrixError.missingParam("Missing 'enabled'") }
            try await hs.pushRules.setEnabled(userID: requester.userID, kind: kind, ruleID: ruleID, enabled: enabled)
            return .json([:])
        }
        routes.client(.get, rulePath + "/actions") { request, context in
            let requester = try await hs.requester(request)
            let (kind, ruleID) = try rule(context)
            return .json(["actions": .array(try await hs.pushRules.rule(of: requester.userID, kind: kind, ruleID: ruleID).actions)])
        }
        routes.client(.put, rulePath + "/actions") { request, context in
            let requester = try await hs.requester(request)
            let (kind, ruleID) = try rule(context)
            let body = try await request.jsonObject(context: context)
            let actions = try PushRuleInput.actions(body["actions"])
            try await hs.pushRules.setActions(userID: requester.userID, kind: kind, ruleID: ruleID, actions: actions)
            return .json([:])
        }
        routes.client(.get, "/pushers") { request, _ in
            let requester = try await hs.requester(request)
            return .json(try await hs.pushers.list(userID: requester.userID))
        }
        routes.client(.post, "/pushers/set") { request, context in
            let requester = try await hs.requester(request)
            try await hs.pushers.set(userID: requester.userID, deviceID: requester.deviceID, body: try await request.jsonObject(context: context))
            return .json([:])
        }
        routes.clientInPool(.get, "/notifications") { request, _ in
            let requester = try await hs.requester(request)
            let query = request.uri.queryParameters
            var limit = 20
            if let l = query.get("limit") {
                guard let n = Int(l), n > 0 else { throw MatrixError.invalidParam("limit must be a positive integer") }
                limit = n
            }
            let only = query.get("only")
            guard only == nil || only == "highlight" else { throw MatrixError.invalidParam("only must be 'highlight'") }
            return .json(try await hs.notifications.list(userID: requester.userID, from: query.get("from"), limit: limit,
                                                         onlyHighlights: only == "highlight", now: hs.clock.nowMillis()))
        }
    }

    private static func rule(_ context: ApusRequestContext) throws -> (PushRuleKind, String) {
        (try PushRuleInput.kind(try context.pathParameter("kind")), try context.pathParameter("ruleID"))
    }
}
