import APICore
import Hummingbird
import MatrixProtocol
import Services

/// `GET /v1/rooms/{roomId}/relations/...` and `GET /v1/rooms/{roomId}/threads`.
enum RelationsEndpoints {
    static func register(on routes: RouteTable, homeserver hs: Homeserver) {
        let relations: RouteTable.Handler = { request, context in
            let requester = try await hs.requester(request)
            let query = request.uri.queryParameters
            var direction = Sync.Direction.backwards
            if let dir = query.get("dir") {
                guard let d = Sync.Direction(rawValue: dir) else { throw MatrixError.invalidParam("dir must be 'b' or 'f'") }
                direction = d
            }
            var limit = 50
            if let l = query.get("limit") {
                guard let n = Int(l), n > 0 else { throw MatrixError.invalidParam("limit must be a positive integer") }
                limit = n
            }
            let recurse = query.get("recurse") == "true"
            return .json(try await hs.sync.relations(
                roomID: try context.pathParameter("roomID"), eventID: try context.pathParameter("eventID"), userID: requester.userID,
                deviceID: requester.deviceID, relType: try? context.pathParameter("relType"), eventType: try? context.pathParameter("eventType"),
                from: try query.get("from").map { text throws(MatrixError) in try SyncToken(text) },
                to: try query.get("to").map { text throws(MatrixError) in try SyncToken(text) },
                direction: direction, limit: limit, recurse: recurse))
        }
        let base = "/_matrix/client/v1/rooms/:roomID/relations/:eventID"
        routes.get(base, RouteTable.inPool(relations))
        routes.get(base + "/:relType", RouteTable.inPool(relations))
        routes.get(base + "/:relType/:eventType", RouteTable.inPool(relations))
        routes.get("/_matrix/client/v1/rooms/:roomID/timestamp_to_event") { request, context in
            let requester = try await hs.requester(request)
            let query = request.uri.queryParameters
            guard let tsText = query.get("ts") else { throw MatrixError.missingParam("Missing 'ts'") }
            guard let ts = Int64(tsText) else { throw MatrixError.invalidParam("ts must be an integer") }
            guard let dirText = query.get("dir") else { throw MatrixError.missingParam("Missing 'dir'") }
            guard let direction = Sync.Direction(rawValue: dirText) else { throw MatrixError.invalidParam("dir must be 'b' or 'f'") }
            return .json(try await hs.sync.eventNear(timestamp: ts, roomID: try context.pathParameter("roomID"),
                                                     userID: requester.userID, direction: direction))
        }
        routes.get("/_matrix/client/v1/rooms/:roomID/threads", RouteTable.inPool { request, context in
            let requester = try await hs.requester(request)
            let query = request.uri.queryParameters
            let include = query.get("include") ?? "all"
            guard include == "all" || include == "participated" else { throw MatrixError.invalidParam("include must be 'all' or 'participated'") }
            var limit = 50
            if let l = query.get("limit") {
                guard let n = Int(l), n > 0 else { throw MatrixError.invalidParam("limit must be a positive integer") }
                limit = n
            }
            return .json(try await hs.sync.threads(roomID: try context.pathParameter("roomID"), userID: requester.userID, deviceID: requester.deviceID,
                                                   participatedOnly: include == "participated",
                                                   from: try query.get("from").map { text throws(MatrixError) in try SyncToken(text) },
                                                   limit: limit))
        })
    }
}
