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

    public func bytes(to destination: ServerName, path: String) async throws -> (contentType: String?, body: [UInt8]) {
        let response = try await send(to: destination, method: "GET", path: path, body: nil, signed: true, timeout: .seconds(60))
        guard (200..<300).contains(response.status) else {
            let object = try? JSONParser.parseObject(response.body)
            throw RemoteError(status: response.status, errcode: object?["errcode"]?.stringValue, message: object?["error"]?.stringValue)
        }
        return (response.header("content-type"), response.body)
    }
}
