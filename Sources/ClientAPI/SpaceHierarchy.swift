import APICore
import Hummingbird
import MatrixProtocol
import Services

/// `GET /v1/rooms/{roomId}/hierarchy`.
enum SpaceHierarchy {
    static func register(on routes: RouteTable, homeserver hs: Homeserver) {
        routes.get("/_matrix/client/v1/rooms/:roomID/hierarchy") { request, context in
            let requester = try await hs.requester(request)
            let query = request.uri.queryParameters
            func integer(_ name: String) throws -> Int? {
                guard let text = query.get(name) else { return nil }
                guard let value = Int(text) else { throw MatrixError.invalidParam("\(name) must be an integer") }
                return value
            }
            return .json(try await hs.spaces.hierarchy(
                roomID: try context.pathParameter("roomID"), userID: requester.userID,
                suggestedOnly: try QueryFlag.parse(query.get("suggested_only"), name: "suggested_only"),
                maxDepth: try integer("max_depth"), limit: try integer("limit"), from: query.get("from")))
        }
    }
}
