import Foundation
import MatrixProtocol
import Services

/// What the admin commands need; answered by the running server's admin API when it is up, else
/// by the services on the database directly. Both give the admin API's JSON.
protocol AdminBackend: Sendable {
    func users(deactivated: Bool) async throws -> JSONObject
    func user(_ userID: String) async throws -> JSONObject
    func putUser(_ userID: String, body: JSONObject) async throws -> JSONObject
    func deactivate(_ userID: String) async throws
    func tokens() async throws -> JSONObject
    func createToken(_ body: JSONObject) async throws -> JSONObject
    func deleteToken(_ token: String) async throws
    func rooms() async throws -> JSONObject
    func room(_ roomID: String) async throws -> JSONObject
    func roomMembers(_ roomID: String) async throws -> JSONObject
    func deleteRoom(_ roomID: String, purge: Bool) async throws -> JSONObject
}

/// The services on the database: the server is stopped (or not reachable).
struct DirectBackend: AdminBackend {
    let homeserver: Homeserver
    var admin: Admin { homeserver.admin }

    func users(deactivated: Bool) async throws -> JSONObject {
        try await admin.users(from: 0, limit: Int.max, name: nil, guests: true, deactivated: deactivated)
    }
    func user(_ userID: String) async throws -> JSONObject { try await admin.user(userID) }
    func putUser(_ userID: String, body: JSONObject) async throws -> JSONObject { try await admin.putUser(userID, body: body).user }
    func deactivate(_ userID: String) async throws {
        _ = try await admin.user(userID)
        try await homeserver.deactivateAccount(userID)
    }
    func tokens() async throws -> JSONObject { try await admin.registrationTokens(valid: nil) }
    func createToken(_ body: JSONObject) async throws -> JSONObject { try await admin.createRegistrationToken(body) }
    func deleteToken(_ token: String) async throws { try await admin.deleteRegistrationToken(token) }
    func rooms() async throws -> JSONObject { try await admin.rooms(from: 0, limit: Int.max) }
    func room(_ roomID: String) async throws -> JSONObject { try await admin.room(roomID) }
    func roomMembers(_ roomID: String) async throws -> JSONObject { try await admin.roomMembers(roomID) }
    func deleteRoom(_ roomID: String, purge: Bool) async throws -> JSONObject {
        try await admin.deleteRoom(roomID, purge: purge, by: "@apus-cli")
    }
}

/// The running server's admin API over its client listener, with a short-lived admin token.
struct APIBackend: AdminBackend {
    let base: String
    let token: String

    func call(_ method: String, _ path: String, _ body: JSONObject? = nil) async throws -> JSONObject {
        let answer = try await CLIHTTP.request(method, base + "/_synapse/admin" + path, token: token, body: body, timeout: .seconds(120))
        let object = (try? JSONParser.parseObject(answer.body)) ?? [:]
        let status = answer.status
        guard (200..<300).contains(status) else {
            throw MatrixError(object["errcode"]?.stringValue ?? "M_UNKNOWN", object["error"]?.stringValue ?? "HTTP \(status)", status: status)
        }
        return object
    }

    static func segment(_ s: String) -> String { s.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? s }

    func users(deactivated: Bool) async throws -> JSONObject {
        try await call("GET", "/v2/users?from=0&limit=1000000&deactivated=\(deactivated)")
    }
    func user(_ userID: String) async throws -> JSONObject { try await call("GET", "/v2/users/\(Self.segment(userID))") }
    func putUser(_ userID: String, body: JSONObject) async throws -> JSONObject {
        try await call("PUT", "/v2/users/\(Self.segment(userID))", body)
    }
    func deactivate(_ userID: String) async throws { _ = try await call("POST", "/v1/deactivate/\(Self.segment(userID))", [:]) }
    func tokens() async throws -> JSONObject { try await call("GET", "/v1/registration_tokens") }
    func createToken(_ body: JSONObject) async throws -> JSONObject { try await call("POST", "/v1/registration_tokens/new", body) }
    func deleteToken(_ token: String) async throws { _ = try await call("DELETE", "/v1/registration_tokens/\(Self.segment(token))") }
    func rooms() async throws -> JSONObject { try await call("GET", "/v1/rooms?from=0&limit=1000000") }
    func room(_ roomID: String) async throws -> JSONObject { try await call("GET", "/v1/rooms/\(Self.segment(roomID))") }
    func roomMembers(_ roomID: String) async throws -> JSONObject { try await call("GET", "/v1/rooms/\(Self.segment(roomID))/members") }
    func deleteRoom(_ roomID: String, purge: Bool) async throws -> JSONObject {
        try await call("DELETE", "/v2/rooms/\(Self.segment(roomID))", ["purge": .bool(purge)])
    }

    /// The plain-HTTP client listener of a running server, if it answers.
    static func runningServer(_ config: ApusConfiguration) async -> String? {
        guard let listener = config.listeners.first(where: { $0.resources.contains(.client) && !$0.tls }) else { return nil }
        let host = listener.bind == "0.0.0.0" ? "127.0.0.1" : listener.bind == "::" ? "[::1]" : listener.bind.contains(":") ? "[\(listener.bind)]" : listener.bind
        let base = "http://\(host):\(listener.port)"
        guard let answer = try? await CLIHTTP.request("GET", base + "/_synapse/admin/v1/server_version", timeout: .seconds(2)),
              answer.status == 200 else { return nil }
        return base
    }
}

import ApusConfig
