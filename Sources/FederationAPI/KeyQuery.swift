import APICore
import Hummingbird
import MatrixProtocol
import Services

/// `/_matrix/key/v2/query`: as a notary, other servers' keys we hold (fetched when missing),
/// countersigned by us; our own keys answer directly.
enum KeyQuery {
    static func register(on routes: RouteTable, homeserver: Homeserver) {
        routes.post("/_matrix/key/v2/query") { request, context in
            let body = try await request.jsonObject(context: context)
            guard let servers = body["server_keys"]?.objectValue else { throw MatrixError.badJSON("Missing 'server_keys'") }
            var out: [JSONValue] = []
            for (server, keys) in servers {
                let wanted = Array((keys.objectValue ?? [:]).keys)
                if let response = try await homeserver.federation.notaryResponse(server: server, keyIDs: wanted) { out.append(.object(response)) }
            }
            return .json(["server_keys": .array(out)])
        }
        routes.get("/_matrix/key/v2/query/:serverName") { _, context in
            let server = try context.pathParameter("serverName")
            let response = try await homeserver.federation.notaryResponse(server: server, keyIDs: [])
            return .json(["server_keys": .array(response.map { [.object($0)] } ?? [])])
        }
    }
}
