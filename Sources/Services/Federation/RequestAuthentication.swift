import MatrixProtocol

/// Inbound server-server request authentication: the `X-Matrix` credentials of an
/// `Authorization` header, checked against the origin's key.
public struct RequestAuthentication: Sendable {
    let serverName: ServerName
    let keys: RemoteKeys
    let clock: Clock

    /// The authenticated origin server, or `M_UNAUTHORIZED` (401) / `M_FORBIDDEN`.
    /// `uri` is the request target exactly as received (path and query).
    public func origin(method: String, uri: String, authorizationHeaders: [String], body: JSONValue?) async throws -> String {
        let credentials = authorizationHeaders.compactMap(XMatrixAuthorization.init(header:))
        guard let first = credentials.first else {
            throw MatrixError("M_UNAUTHORIZED", "Missing X-Matrix authorization", status: 401)
        }
        for credential in credentials {
            guard credential.origin == first.origin else {
                throw MatrixError("M_UNAUTHORIZED", "Authorization headers name different origins", status: 401)
            }
            guard (try? ServerName(credential.origin)) != nil else {
                throw MatrixError("M_UNAUTHORIZED", "Invalid origin '\(credential.origin)'", status: 401)
            }
            if let destination = credential.destination, destination != serverName.description {
                throw MatrixError("M_UNAUTHORIZED", "Request is for \(destination), not this server", status: 401)
            }
            let key: [UInt8]
            do {
                key = try await keys.key(server: credential.origin, keyID: credential.keyID, at: clock.nowMillis())
            } catch {
                throw MatrixError("M_UNAUTHORIZED", "Cannot get key \(credential.keyID) of \(credential.origin): \(error)", status: 401)
            }
            guard credential.verifies(method: method, uri: uri, destination: serverName.description, content: body, publicKey: key) else {
                throw MatrixError("M_UNAUTHORIZED", "Invalid request signature", status: 401)
            }
        }
        return first.origin
    }
}
