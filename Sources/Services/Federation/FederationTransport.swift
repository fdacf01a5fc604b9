import MatrixProtocol

/// How services reach other homeservers: one signed JSON request. The real transport is
/// `FederationHTTPClient`; tests route requests to another in-process server.
public protocol FederationTransport: Sendable {
    /// Sends a request and decodes the JSON object answer; throws `RemoteError` for an
    /// error answer and any other error when the server could not be reached.
    func json(to destination: ServerName, method: String, path: String, body: JSONValue?, signed: Bool) async throws -> JSONObject

    /// A signed GET whose answer is not JSON (media): its content type and bytes; `RemoteError`
    /// for an error answer.
    func bytes(to destination: ServerName, path: String) async throws -> (contentType: String?, body: [UInt8])
}

extension FederationTransport {
    public func bytes(to destination: ServerName, path: String) async throws -> (contentType: String?, body: [UInt8]) {
        throw MatrixError.unrecognized("This transport cannot fetch media")
    }
}

/// A transport that remembers unreachable peers.
public protocol PeerReachability: Sendable {
    func markReachable(_ destination: ServerName)
}

/// An error answer from another homeserver.
public struct RemoteError: Error, Sendable, CustomStringConvertible {
    public let status: Int
    public let errcode: String?
    public let message: String?
    /// The answer's other fields (`room_version` of `M_INCOMPATIBLE_ROOM_VERSION`, say).
    public let extra: JSONObject

    public init(status: Int, errcode: String?, message: String?, extra: JSONObject = [:]) {
        self.status = status
        self.errcode = errcode
        self.message = message
        self.extra = extra
    }

    /// The refusal as our own error, its fields kept, for a client the request was made for.
    public init(status: Int, body: [UInt8]) {
        var object = (try? JSONParser.parseObject(body)) ?? [:]
        let errcode = object.removeValue(forKey: "errcode")?.stringValue
        let message = object.removeValue(forKey: "error")?.stringValue
        self.init(status: status, errcode: errcode, message: message, extra: object)
    }

    public var description: String { "HTTP \(status) \(errcode ?? "") \(message ?? "")" }
}

/// Federation switched off: every remote operation fails clearly.
struct NoFederation: FederationTransport {
    func json(to destination: ServerName, method: String, path: String, body: JSONValue?, signed: Bool) async throws -> JSONObject {
        throw MatrixError.forbidden("Federation is disabled on this server")
    }
}

/// Percent-encodes one path segment (IDs carry `!`, `$`, `@`, `:`, `#`).
func pathSegment(_ s: String) -> String {
    var out = ""
    for byte in s.utf8 {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            out.unicodeScalars.append(UnicodeScalar(byte))
        default:
            out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(2)
        }
    }
    return out
}

private extension String {
    func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
