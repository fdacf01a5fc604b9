import Foundation

/// A request to an arbitrary URL.
public struct OutboundRequest: Sendable {
    public var method: String
    public var url: HTTPURL
    /// Sent besides `Host`, `User-Agent`, `Connection` and `Content-Length`, which the client sets.
    public var headers: [(String, String)]
    public var body: [UInt8]?

    public init(method: String = "GET", url: HTTPURL, headers: [(String, String)] = [], body: [UInt8]? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// Status and headers of an answer.
public struct OutboundResponseHead: Sendable {
    public let status: Int
    public let headers: [(String, String)]

    public init(status: Int, headers: [(String, String)]) {
        self.status = status
        self.headers = headers
    }

    /// The first header of this name (case-insensitive).
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.0.lowercased() == lower }?.1
    }

    /// `Content-Type` without parameters, lowercased (`text/html`).
    public var mediaType: String? {
        header("Content-Type").map { $0.split(separator: ";", maxSplits: 1).first.map(String.init) ?? "" }
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
    }

    /// The `charset` parameter of `Content-Type`, lowercased and unquoted.
    public var charset: String? {
        guard let value = header("Content-Type") else { return nil }
        for parameter in value.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, pair[0].lowercased() == "charset" else { continue }
            return pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"'")).lowercased()
        }
        return nil
    }
}

/// What to read of a body, decided from the head.
public enum BodyLimit: Sendable {
    /// At most `max` bytes. Beyond that: `truncate` keeps the first `max` bytes and stops
    /// reading (the answer is marked truncated); otherwise the request fails with `tooLarge`.
    case read(max: Int, truncate: Bool)
    /// Nothing: the connection is closed after the head.
    case skip
}

/// An answer, after any redirects.
public struct OutboundResponse: Sendable {
    /// The URL that answered (the last hop).
    public let url: HTTPURL
    public let head: OutboundResponseHead
    public let body: [UInt8]
    /// The body was cut at the caller's limit.
    public let truncated: Bool

    public var status: Int { head.status }
    public func header(_ name: String) -> String? { head.header(name) }
}
