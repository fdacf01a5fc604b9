import Foundation
import APICore
import Hummingbird
import MatrixProtocol
import Services

extension Request {
    /// The bearer token of `Authorization: Bearer <token>`, the only form Apus accepts.
    /// Every authenticated request reads it: bytes compared in place, no lowercased copies.
    var bearerToken: String? {
        guard let header = headers[.authorization] else { return nil }
        var rest = Substring(header).utf8
        for expected in "bearer".utf8 {
            guard let byte = rest.first, byte | 0x20 == expected else { return nil }  // ASCII letters, any case
            rest = rest.dropFirst()
        }
        guard rest.first == UInt8(ascii: " ") else { return nil }
        let isBlank = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        while let first = rest.first, isBlank(first) { rest = rest.dropFirst() }
        while let last = rest.last, isBlank(last) { rest = rest.dropLast() }
        return rest.isEmpty ? nil : String(Substring(rest))
    }
}

extension Homeserver {
    /// The authenticated requester, or `M_MISSING_TOKEN` / `M_UNKNOWN_TOKEN`.
    func requester(_ request: Request) async throws -> Requester {
        try await accounts.authenticate(accessToken: request.bearerToken)
    }
}

extension RouteTable {
    /// Registers a Client-Server route under `/_matrix/client/v3` and the legacy `/r0` prefix
    /// that some clients still call.
    func client(_ method: HTTPRequest.Method, _ path: String, _ handler: @escaping Handler) {
        on(method, "/_matrix/client/v3" + path, handler)
        on(method, "/_matrix/client/r0" + path, handler)
    }

    /// `client`, with the handler run in Swift's global pool (`inPool`): for answers that grow
    /// with a room, a thread, the directory or the users asked about.
    func clientInPool(_ method: HTTPRequest.Method, _ path: String, _ handler: @escaping Handler) {
        client(method, path, Self.inPool(handler))
    }
}
