/// One answer from another homeserver.
public struct FederationResponse: Sendable {
    public let status: Int
    public let headers: [(String, String)]
    public let body: [UInt8]

    public init(status: Int, headers: [(String, String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first header of this name (case-insensitive).
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.0.lowercased() == lower }?.1
    }
}

public enum FederationClientError: Error, Sendable, CustomStringConvertible {
    /// DNS, connect, TLS, timeout or backoff; the text says which.
    case unreachable(String)
    /// The destination policy refused the address, or federation is disabled.
    case refused(String)
    /// A non-2xx answer.
    case http(status: Int, errcode: String?, error: String?, body: [UInt8])
    /// An answer that could not be parsed.
    case badResponse(String)

    public var description: String {
        switch self {
        case .unreachable(let s): "unreachable: \(s)"
        case .refused(let s): "refused: \(s)"
        case .http(let status, let errcode, let error, _): "HTTP \(status)" + (errcode.map { " \($0)" } ?? "") + (error.map { " \($0)" } ?? "")
        case .badResponse(let s): "bad response: \(s)"
        }
    }
}
