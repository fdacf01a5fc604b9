import FederationClient
import MatrixProtocol

/// The real transport: `FederationHTTPClient`, its error answers turned into `RemoteError`.
extension FederationHTTPClient: FederationTransport, PeerReachability {
    public func json(to destination: ServerName, method: String, path: String, body: JSONValue?, signed: Bool) async throws -> JSONObject {
        do {
            return try await json(to: destination, method: method, path: path, body: body, signed: signed, timeout: .seconds(60))
        } catch {
            if case .http(let status, _, _, let body) = error { throw RemoteError(status: status, body: body) }
            throw error
        }
    }

    public func bytes(to destination: ServerName, path: String) async throws -> (contentType: String?, body: [UInt8]) {
        let response = try await send(to: destination, method: "GET", path: path, body: nil, signed: true, timeout: .seconds(60))
        guard (200..<300).contains(response.status) else {
            throw RemoteError(status: response.status, body: response.body)
        }
        return (response.header("content-type"), response.body)
    }
}
