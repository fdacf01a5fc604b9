import APICore
import Hummingbird
import MatrixProtocol
import Services

/// Sending events and reading room state: `/send`, `/state`, `/event`, `/members`, `/joined_members`.
enum RoomEvents {
    static func register(on routes: RouteTable, homeserver hs: Homeserver) {
        routes.client(.put, "/rooms/:roomID/send/:eventType/:txnId") { request, context in
            let requester = try await hs.requester(request)
            let roomID = try context.pathParameter("roomID")
            let type = try context.pathParameter("eventType")
            let txnID = try context.pathParameter("txnId")
            let content = try await request.jsonObject(context: context)
            let eventID = try await hs.rooms.sendIdempotent(roomID: roomID, requester: requester, txnID: txnID,
                                                            type: type, content: content)
            return .json(["event_id": .string(eventID)])
        }
        routes.client(.put, "/rooms/:roomID/redact/:eventID/:txnId") { request, context in
            let requester = try await hs.requester(request)
            let body = try await request.jsonObject(context: context)
            let eventID = try await hs.rooms.redact(roomID: try context.pathParameter("roomID"), eventID: try context.pathParameter("eventID"),
                                                    requester: requester, txnID: try context.pathParameter("txnId"),
                                                    reason: try body.optionalString("reason"))
            return .json(["event_id": .string(eventID)])
        }
        routes.client(.post, "/rooms/:roomID/upgrade") { request, context in
            let requester = try await hs.requester(request)
            let body = try await request.jsonObject(context: context)
            let newRoom = try await hs.rooms.upgrade(roomID: try context.pathParameter("roomID"), to: try body.requiredString("new_version"),
                                                     by: requester, additionalCreators: try body.optionalStringArray("additional_creators") ?? [])
            return .json(["replacement_room": .string(newRoom)])
        }
        let putState: RouteTable.Handler = { request, context in
            let requester = try await hs.requester(request)
            let roomID = try context.pathParameter("roomID")
            let type = try context.pathParameter("eventType")
            let stateKey = (try? context.pathParameter("stateKey")) ?? ""
            let content = try await request.jsonObject(context: context)
            try await hs.rooms.requireJoinedOrMembershipChange(requester.userID, roomID, type: type)
            let pdu = try await hs.rooms.send(roomID: roomID, sender: requester.userID, type: type, stateKey: stateKey, content: content)
            return .json(["event_id": .string(pdu.eventID)])
        }
        routes.client(.put, "/rooms/:roomID/state/:eventType", putState)
        routes.client(.put, "/rooms/:roomID/state/:eventType/:stateKey", putState)

        let getState: RouteTable.Handler = { request, context in
            let requester = try await hs.requester(request)
            let roomID = try context.pathParameter("roomID")
            let type = try context.pathParameter("eventType")
            let stateKey = (try? context.pathParameter("stateKey")) ?? ""
            try await hs.rooms.requireJoined(requester.userID, roomID)
            guard let pdu = try await hs.rooms.stateEvent(roomID: roomID, key: StateKey(type, stateKey)) else {
                throw MatrixError.notFound("Event not found")
            }
            if request.uri.queryParameters.get("format") == "event" { return .json(ClientEvent.format(pdu, servedAt: hs.clock.nowMillis())) }
            return .json(pdu.content)
        }
        routes.client(.get, "/rooms/:roomID/state/:eventType", getState)
        routes.client(.get, "/rooms/:roomID/state/:eventType/:stateKey", getState)
        routes.clientInPool(.get, "/rooms/:roomID/state") { request, context in
            let requester = try await hs.requester(request)
            let roomID = try context.pathParameter("roomID")
            try await hs.rooms.requireJoined(requester.userID, roomID)
            let state = try await hs.rooms.currentState(roomID: roomID)
            let now = hs.clock.nowMillis()
            return .jsonArray(state.keys.sorted().compactMap { state[$0] }.map { .object(ClientEvent.format($0, servedAt: now)) })
        }
        routes.client(.get, "/rooms/:roomID/event/:eventID") { request, context in
            let requester = try await hs.requester(request)
            let roomID = try context.pathParameter("roomID")
            // Former members too, within what they could see (`Sync.event` checks).
            return .json(try await hs.sync.event(try context.pathParameter("eventID"), roomID: roomID, userID: requester.userID,
                                        deviceID: requester.deviceID))
        }
        routes.clientInPool(.get, "/rooms/:roomID/joined_members") { request, context in
            let requester = try await hs.requester(request)
            let roomID = try context.pathParameter("roomID")
            try await hs.rooms.requireJoined(requester.userID, roomID)
            let state = try await hs.rooms.currentState(roomID: roomID)
            var joined = JSONObject()
            for (key, pdu) in state where key.type == "m.room.member" && pdu.content["membership"] == "join" {
                var profile = JSONObject()
                if let name = pdu.content["displayname"]?.stringValue { profile["display_name"] = .string(name) }
                if let avatar = pdu.content["avatar_url"]?.stringValue { profile["avatar_url"] = .string(avatar) }
                joined[key.stateKey] = .object(profile)
            }
            return .json(["joined": .object(joined)])
        }
        routes.clientInPool(.get, "/rooms/:roomID/members") { request, context in
            let requester = try await hs.requester(request)
            let roomID = try context.pathParameter("roomID")
            try await hs.rooms.requireJoined(requester.userID, roomID)
            let query = request.uri.queryParameters
            let wanted = query.get("membership"), excluded = query.get("not_membership")
            let at = try query.get("at").map { text throws(MatrixError) in try SyncToken(text).events }
            let members = try await hs.rooms.memberEvents(roomID: roomID, at: at).filter { pdu in
                let m = pdu.content["membership"]?.stringValue
                return (wanted == nil || m == wanted) && (excluded == nil || m != excluded)
            }
            let now = hs.clock.nowMillis()
            return .json(["chunk": .array(members.map { .object(ClientEvent.format($0, servedAt: now)) })])
        }
    }
}
