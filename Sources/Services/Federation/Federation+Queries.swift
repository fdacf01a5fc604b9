import MatrixProtocol
import Store

extension Federation {
    /// A remote alias through its server's `query/directory`.
    public func queryDirectory(alias: String) async throws -> (roomID: String, servers: [String]) {
        guard let server = MatrixIdentifier.server(of: alias), let destination = try? ServerName(server) else {
            throw MatrixError.invalidParam("Invalid room alias")
        }
        let answer: JSONObject
        do {
            answer = try await transport.json(to: destination, method: "GET",
                                              path: "/_matrix/federation/v1/query/directory?room_alias=\(pathSegment(alias))",
                                              body: nil, signed: true)
        } catch let error as RemoteError where error.status == 404 {
            throw MatrixError.notFound("Room alias \(alias) not found")
        }
        guard let roomID = answer["room_id"]?.stringValue, (try? RoomID(roomID)) != nil else {
            throw MatrixError.unknown("\(server) answered no room ID for \(alias)")
        }
        let servers = (answer["servers"]?.arrayValue ?? []).compactMap(\.stringValue)
        return (roomID, servers.isEmpty ? [server] : servers)
    }

    /// Serves `query/directory` for our aliases.
    public func serveDirectoryQuery(alias: String) async throws -> JSONObject {
        guard let parsed = try? RoomAlias(alias), parsed.server == serverName else { throw MatrixError.notFound("Room alias not found") }
        guard let roomID = try await rooms.resolveAlias(alias) else { throw MatrixError.notFound("Room alias not found") }
        var servers = [ourServer]
        if let room = try await database.room(roomID) {
            servers += try await database.joinedServers(roomNID: room.nid).subtracting([ourServer]).sorted()
        }
        return ["room_id": .string(roomID), "servers": JSONValue(servers)]
    }

    /// A remote user's profile through their server's `query/profile`.
    public func queryProfile(userID: String, field: String?) async throws -> JSONObject {
        guard let server = MatrixIdentifier.server(of: userID), let destination = try? ServerName(server) else {
            throw MatrixError.invalidParam("Invalid user ID")
        }
        var path = "/_matrix/federation/v1/query/profile?user_id=\(pathSegment(userID))"
        if let field { path += "&field=\(pathSegment(field))" }
        do {
            return try await transport.json(to: destination, method: "GET", path: path, body: nil, signed: true)
        } catch let error as RemoteError where error.status == 404 {
            throw MatrixError.notFound("Profile not found")
        }
    }
}

extension Federation {
    /// Another server's public room directory (`GET`/`POST /publicRooms` over federation).
    public func queryPublicRooms(server: String, limit: Int?, since: String?, search: String?) async throws -> JSONObject {
        guard let destination = try? ServerName(server) else { throw MatrixError.invalidParam("Invalid server name '\(server)'") }
        var body: JSONObject = [:]
        if let limit { body["limit"] = .int(Int64(limit)) }
        if let since { body["since"] = .string(since) }
        if let search { body["filter"] = ["generic_search_term": .string(search)] }
        do {
            return try await transport.json(to: destination, method: "POST", path: "/_matrix/federation/v1/publicRooms",
                                            body: .object(body), signed: true)
        } catch let error as RemoteError {
            throw MatrixError(error.errcode ?? "M_UNKNOWN", "\(server) answered: \(error.message ?? "HTTP \(error.status)")",
                              status: error.status == 404 ? 404 : 502)
        } catch let error as MatrixError {
            throw error
        } catch {
            throw MatrixError("M_UNKNOWN", "Cannot reach \(server): \(error)", status: 502)
        }
    }
}
