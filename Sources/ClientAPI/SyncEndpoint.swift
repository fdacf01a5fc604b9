import APICore
import Hummingbird
import MatrixProtocol
import Services

/// `GET /sync`, `GET /rooms/{roomId}/messages`, and filters (`/user/{userId}/filter`).
enum SyncEndpoint {
    /// The longest long-poll a client may ask for; longer timeouts are capped, not refused.
    static let maxTimeoutMs: Int64 = 5 * 60 * 1000

    static func register(on routes: RouteTable, homeserver hs: Homeserver) {
        routes.client(.get, "/sync") { request, _ in
            let requester = try await hs.requester(request)
            let query = request.uri.queryParameters
            var sync = Sync.Request(userID: requester.userID)
            sync.deviceID = requester.deviceID
            if let since = query.get("since") { sync.since = try SyncToken(since) }
            if let timeout = query.get("timeout") {
                guard let ms = Int64(timeout), ms >= 0 else { throw MatrixError.invalidParam("timeout must be a non-negative integer") }
                sync.timeoutMs = min(ms, maxTimeoutMs)
            }
            if let full = query.get("full_state") {
                guard full == "true" || full == "false" else { throw MatrixError.invalidParam("full_state must be true or false") }
                sync.fullState = full == "true"
            }
            let presence = query.get("set_presence") ?? "online"
            guard let state = Presence.State(rawValue: presence) else { throw MatrixError.invalidParam("Unknown set_presence '\(presence)'") }
            await hs.presence.set(requester.userID, state: state, statusMessage: nil, keepMessage: true)
            if let filter = query.get("filter") { sync.filter = try await loadFilter(filter, userID: requester.userID, hs: hs) }
            guard sync.since == nil || sync.fullState else { return .json(try await hs.sync.sync(sync)) }
            // A whole account's state and timelines can take long to gather and encode: in
            // Swift's global pool, not on the event loop that every other client shares (one
            // per core but one, by default). Incremental syncs stay: they are short, and a
            // woken long-poll answers sooner without the hop.
            return try await withTaskExecutorPreference(globalConcurrentExecutor) { [sync] in
                Response.json(try await hs.sync.sync(sync))
            }
        }
        routes.clientInPool(.get, "/rooms/:roomID/messages") { request, context in
            let requester = try await hs.requester(request)
            let query = request.uri.queryParameters
            let direction: Sync.Direction
            switch query.get("dir") {
            case "b": direction = .backwards
            case "f": direction = .forwards
            case nil: throw MatrixError.missingParam("Missing 'dir'")
            default: throw MatrixError.invalidParam("dir must be 'b' or 'f'")
            }
            var limit = 10
            if let l = query.get("limit") {
                guard let n = Int(l), n > 0 else { throw MatrixError.invalidParam("limit must be a positive integer") }
                limit = n
            }
            var filter = SyncFilter()
            if let text = query.get("filter") {
                guard let object = try? JSONParser.parseObject(Array(text.utf8)) else { throw MatrixError.invalidParam("filter is not valid JSON") }
                filter = try SyncFilter.roomEventFilter(json: object)
            }
            return .json(try await hs.sync.messages(
                roomID: try context.pathParameter("roomID"), userID: requester.userID, deviceID: requester.deviceID,
                from: try query.get("from").map { text throws(MatrixError) in try SyncToken(text) },
                to: try query.get("to").map { text throws(MatrixError) in try SyncToken(text) },
                direction: direction, limit: limit, filter: filter))
        }
        routes.clientInPool(.get, "/rooms/:roomID/context/:eventID") { request, context in
            let requester = try await hs.requester(request)
            var limit = 10
            if let l = request.uri.queryParameters.get("limit") {
                guard let n = Int(l), n >= 0 else { throw MatrixError.invalidParam("limit must be a non-negative integer") }
                limit = n
            }
            return .json(try await hs.sync.context(roomID: try context.pathParameter("roomID"), eventID: try context.pathParameter("eventID"),
                                                   userID: requester.userID, deviceID: requester.deviceID, limit: limit))
        }
        routes.client(.post, "/user/:userID/filter") { request, context in
            let requester = try await hs.requester(request)
            guard try context.pathParameter("userID") == requester.userID else {
                throw MatrixError.forbidden("Cannot create filters for other users")
            }
            let body = try await request.jsonObject(context: context)
            _ = try SyncFilter(json: body)  // refuse what we could not apply later
            let id = try await hs.database.addFilter(userID: requester.userID, json: body.encodedBytes())
            return .json(["filter_id": .string(String(id))])
        }
        routes.client(.get, "/user/:userID/filter/:filterID") { request, context in
            let requester = try await hs.requester(request)
            guard try context.pathParameter("userID") == requester.userID else {
                throw MatrixError.forbidden("Cannot read filters of other users")
            }
            guard let id = Int64(try context.pathParameter("filterID")),
                  let json = try await hs.database.filter(userID: requester.userID, filterID: id) else {
                throw MatrixError.notFound("Unknown filter")
            }
            return .json(try JSONParser.parseObject(json))
        }
    }

    /// A filter given inline as JSON (starts with `{`) or by ID.
    static func loadFilter(_ text: String, userID: String, hs: Homeserver) async throws -> SyncFilter {
        if text.hasPrefix("{") {
            guard let object = try? JSONParser.parseObject(Array(text.utf8)) else { throw MatrixError.invalidParam("filter is not valid JSON") }
            return try SyncFilter(json: object)
        }
        guard let id = Int64(text), let json = try await hs.database.filter(userID: userID, filterID: id) else {
            throw MatrixError.invalidParam("Unknown filter '\(text)'")
        }
        return try SyncFilter(json: try JSONParser.parseObject(json))
    }
}
