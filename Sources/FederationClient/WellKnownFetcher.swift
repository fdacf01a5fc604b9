import Foundation
import MatrixProtocol
import NIOCore
import NIOHTTP1
import Outbound

/// Fetches `https://<host>/.well-known/matrix/server` over a fresh verified connection,
/// following up to five HTTPS redirects within thirty seconds; any failure is a cached "none".
struct WellKnownFetcher: Sendable {
    static let maxRedirects = 5
    static let timeout: TimeAmount = .seconds(30)

    let connector: Connector
    let userAgent: String
    /// 443 outside tests.
    let port: Int

    func fetch(_ host: String) async -> WellKnownResult {
        let deadline = NIODeadline.now() + Self.timeout
        var location = (host: host, port: port, path: "/.well-known/matrix/server")
        var visited: Set<String> = []
        for _ in 0...Self.maxRedirects {
            guard visited.insert("\(location.host):\(location.port)\(location.path)").inserted else { break }  // a loop
            guard let response = await get(host: location.host, port: location.port, path: location.path, deadline: deadline)
            else { return .failure }
            guard (300..<400).contains(response.status), response.status != 304 else {
                return WellKnownResult.interpret(status: response.status, headers: response.headers, body: response.body)
            }
            guard let next = response.header("Location").flatMap({ Self.redirect($0, from: location) }) else { return .failure }
            location = next
        }
        return .failure
    }

    private func get(host: String, port: Int, path: String, deadline: NIODeadline) async -> FederationResponse? {
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path)
        head.headers.add(name: "Host", value: port == 443 ? host : "\(host):\(port)")
        head.headers.add(name: "User-Agent", value: userAgent)
        head.headers.add(name: "Accept", value: "application/json")
        head.headers.add(name: "Connection", value: "close")
        let bare = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        let isIP = host.hasPrefix("[") || IPAddress(host) != nil
        let key = PoolKey(host: host, port: port, tlsName: isIP ? nil : bare)
        guard let connection = try? await connector.connect(key, deadline: deadline) else { return nil }
        defer { connection.close() }
        return try? await connection.execute(HTTPRequestHeadAndBody(head: head, body: nil), bodyLimit: WellKnownResult.maxBodySize,
                                             deadline: deadline).response
    }

    /// Where a `Location` header points, relative to the current URL; only HTTPS is followed.
    static func redirect(_ location: String, from current: (host: String, port: Int, path: String))
        -> (host: String, port: Int, path: String)? {
        let authority = current.port == 443 ? current.host : "\(current.host):\(current.port)"
        guard let base = URL(string: "https://\(authority)\(current.path)"),
              let url = URL(string: location, relativeTo: base)?.absoluteURL,
              url.scheme?.lowercased() == "https", let host = url.host, !host.isEmpty
        else { return nil }
        let encoded = url.path(percentEncoded: true)
        var path = encoded.isEmpty ? "/" : encoded
        if let query = url.query { path += "?" + query }
        let literalHost = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        return (literalHost, url.port ?? 443, path)
    }
}
