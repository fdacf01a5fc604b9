import APICore
import Hummingbird
import MatrixProtocol
import Services

/// Reading a room's graph: `/event`, `/state`, `/state_ids`, `/event_auth`, `/backfill`, `get_missing_events`,
/// `timestamp_to_event`.
enum HistoryEndpoints {
    static func register(on routes: RouteTable, homeserver: Homeserver) {
        let federation = homeserver.federation
        routes.federation(.get, "/_matrix/federation/v1/event/:eventID", homeserver: homeserver) { req in
            .json(try await federation.serveEvent(try req.path("eventID"), origin: req.origin))
        }
        for (path, idsOnly) in [("state", false), ("state_ids", true)] {
            routes.federation(.get, "/_matrix/federation/v1/\(path)/:roomID", homeserver: homeserver) { req in
                guard let eventID = req.query("event_id") else { throw MatrixError.missingParam("Missing 'event_id'") }
                return .json(try await federation.serveState(roomID: try req.path("roomID"), eventID: eventID, origin: req.origin, idsOnly: idsOnly))
            }
        }
        routes.federation(.get, "/_matrix/federation/v1/event_auth/:roomID/:eventID", homeserver: homeserver) { req in
            .json(try await federation.serveEventAuth(roomID: try req.path("roomID"), eventID: try req.path("eventID"), origin: req.origin))
        }
        routes.federation(.get, "/_matrix/federation/v1/backfill/:roomID", homeserver: homeserver) { req in
            let from = req.queryAll("v")
            guard !from.isEmpty else { throw MatrixError.missingParam("Missing 'v'") }
            guard let limit = Int(req.query("limit") ?? "") else { throw MatrixError.missingParam("Missing or invalid 'limit'") }
            return .json(try await federation.serveBackfill(roomID: try req.path("roomID"), from: from, limit: limit, origin: req.origin))
        }
        routes.federation(.get, "/_matrix/federation/v1/timestamp_to_event/:roomID", homeserver: homeserver) { req in
            guard let tsText = req.query("ts") else { throw MatrixError.missingParam("Missing 'ts'") }
            guard let ts = Int64(tsText) else { throw MatrixError.invalidParam("ts must be an integer") }
            guard let dir = req.query("dir") else { throw MatrixError.missingParam("Missing 'dir'") }
            guard dir == "f" || dir == "b" else { throw MatrixError.invalidParam("dir must be 'f' or 'b'") }
            return .json(try await federation.serveTimestampToEvent(roomID: try req.path("roomID"), timestamp: ts, forwards: dir == "f",
                                                                    origin: req.origin))
        }
        routes.federation(.post, "/_matrix/federation/v1/get_missing_events/:roomID", homeserver: homeserver) { req in
            .json(try await federation.serveMissingEvents(roomID: try req.path("roomID"), body: req.body, origin: req.origin))
        }
    }
}
