import FederationClient
import MatrixProtocol

/// The real transport: `FederationHTTPClient`, its error answers turned into `RemoteError`.
extension FederationHTTPClient: FederationTransport, PeerReachability {
    public func json(to destination: ServerName, method: String, path: String, body: JSONValue?, signed: Bool) async throws -> JSONObject {
        do {
            return try await json(to: destination, method: method, path: path, body: body, signed: signed, timeout: .seconds(60))
        } catch {
            if case .http(let status, let errcode, let message, _) = error {
                throw RemoteError(status: status, errcode: errcode, message: message)
            }
            throw error
        }
    }
}
