import Foundation
import APICore
import Hummingbird
import MatrixProtocol
import Services

extension Request {
    /// The bearer token of `Authorization: Bearer <token>`, the only form Apus accepts.
    var bearerToken: String? {
        guard let header = headers[.authorization] else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return String(parts[1]).trimmingCharacters(in: .whitespaces)
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
}
