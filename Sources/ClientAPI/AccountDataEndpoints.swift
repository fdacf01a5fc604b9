import APICore
import Hummingbird
import MatrixProtocol
import Services

/// Account data, typing notifications, receipts and read markers.
enum AccountDataEndpoints {
    static func register(on routes: RouteTable, homeserver hs: Homeserver) {
        routes.client(.put, "/user/:userID/account_data/:type") { request, context in
            let requester = try await hs.requester(request)
            let content = try await request.jsonObject(context: context)
            try await hs.accountData.set(requester, userID: try context.pathParameter("userID"), roomID: nil,
                                         type: try context.pathParameter("type"), content: content)
            return .json([:])
        }
        routes.client(.get, "/user/:userID/account_data/:type") { request, context in
            let requester = try await hs.requester(request)
            return .json(try await hs.accountData.get(requester, userID: try context.pathParameter("userID"), roomID: nil,
                                                      type: try context.pathParameter("type")))
        }
        routes.client(.put, "/user/:userID/rooms/:roomID/account_data/:type") { request, context in
            let requester = try await hs.requester(request)
            let content = try await request.jsonObject(context: context)
            try await hs.accountData.set(requester, userID: try context.pathParameter("userID"), roomID: try context.pathParameter("roomID"),
                                         type: try context.pathParameter("type"), content: content)
            return .json([:])
        }
        routes.client(.get, "/user/:userID/rooms/:roomID/account_data/:type") { request, context in
            let requester = try await hs.requester(request)
            return .json(try await hs.accountData.get(requester, userID: try context.pathParameter("userID"),
                                                      roomID: try context.pathParameter("roomID"), type: try context.pathParameter("type")))
        }
        routes.client(.get, "/user/:userID/rooms/:roomID/tags") { request, context in
            let requester = try await hs.requester(request)
            let tags = try await hs.accountData.tags(requester, userID: try context.pathParameter("userID"), roomID: try context.pathParameter("roomID"))
            return .json(["tags": .object(tags)])
        }
        routes.client(.put, "/user/:userID/rooms/:roomID/tags/:tag") { request, context in
            let requester = try await hs.requester(request)
            let body = try await request.jsonObject(context: context)
            try await hs.accountData.setTag(requester, userID: try context.pathParameter("userID"), roomID: try context.pathParameter("roomID"),
                                            tag: try context.pathParameter("tag"), value: body)
            return .json([:])
        }
        routes.client(.delete, "/user/:userID/rooms/:roomID/tags/:tag") { request, context in
            let requester = try await hs.requester(request)
            try await hs.accountData.setTag(requester, userID: try context.pathParameter("userID"), roomID: try context.pathParameter("roomID"),
                                            tag: try context.pathParameter("tag"), value: nil)
            return .json([:])
        }
        routes.client(.put, "/rooms/:roomID/typing/:userID") { request, context in
            let requester = try await hs.requester(request)
            let roomID = try context.pathParameter("roomID")
            guard try context.pathParameter("userID") == requester.userID else {
                throw MatrixError.forbidden("Cannot set typing for other users")
            }
            let body = try await request.jsonObject(context: context)
            guard let typing = try body.optionalBool("typing") else { throw MatrixError.missingParam("Missing 'typing'") }
            var timeout: Int64 = 30_000
            if let t = body["timeout"] {
                guard let ms = t.intValue, ms >= 0 else { throw MatrixError.badJSON("'timeout' must be a non-negative integer") }
                timeout = ms
            }
            try await hs.rooms.requireJoined(requester.userID, roomID)
            hs.typing.set(roomID: roomID, userID: requester.userID, typing: typing, timeoutMs: timeout)
            await hs.federation.sendTyping(roomID: roomID, userID: requester.userID, typing: typing)
            return .json([:])
        }
        routes.client(.post, "/rooms/:roomID/receipt/:receiptType/:eventID") { request, context in
            let requester = try await hs.requester(request)
            let body = try await request.jsonObject(context: context)
            let roomID = try context.pathParameter("roomID"), type = try context.pathParameter("receiptType")
            let eventID = try context.pathParameter("eventID"), threadID = try body.optionalString("thread_id")
            try await hs.accountData.receipt(requester, roomID: roomID, type: type, eventID: eventID, threadID: threadID)
            if type == "m.read" {
                await hs.federation.sendReceipt(roomID: roomID, userID: requester.userID, eventID: eventID, threadID: threadID,
                                                ts: hs.clock.nowMillis())
            }
            return .json([:])
        }
        routes.client(.post, "/rooms/:roomID/read_markers") { request, context in
            let requester = try await hs.requester(request)
            let roomID = try context.pathParameter("roomID")
            let body = try await request.jsonObject(context: context)
            for type in ["m.fully_read", "m.read", "m.read.private"] {
                if let eventID = try body.optionalString(type) {
                    try await hs.accountData.receipt(requester, roomID: roomID, type: type, eventID: eventID, threadID: nil)
                    if type == "m.read" {
                        await hs.federation.sendReceipt(roomID: roomID, userID: requester.userID, eventID: eventID, threadID: nil,
                                                        ts: hs.clock.nowMillis())
                    }
                }
            }
            return .json([:])
        }
    }
}
