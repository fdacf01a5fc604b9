import MatrixProtocol
import NIOCore
import Outbound

/// The CLI's few HTTP requests (the running server's admin API, `doctor`'s well-known checks),
/// through the server's own outbound client rather than Foundation's URLSession, whose curl,
/// GnuTLS and Kerberos libraries every `apus` process would otherwise load.
enum CLIHTTP {
    struct Answer {
        let status: Int
        let body: [UInt8]
    }

    /// Any address: the CLI talks to its own server on loopback and checks the admin's own URLs.
    private static let anywhere = AddressPolicy(allowed: [IPRange("0.0.0.0/0"), IPRange("::/0")].compactMap { $0 })

    static func request(_ method: String, _ url: String, token: String? = nil, body: JSONObject? = nil,
                        timeout: TimeAmount) async throws -> Answer {
        guard let target = HTTPURL(url) else { throw MatrixError.unknown("bad URL \(url)") }
        var headers: [(String, String)] = []
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        if body != nil { headers.append(("Content-Type", "application/json")) }
        let client = OutboundHTTPClient(policy: anywhere, userAgent: "apus-cli", timeout: timeout)
        let request = OutboundRequest(method: method, url: target, headers: headers, body: body?.encodedBytes())
        do {
            let response = try await client.send(request) { _ in .read(max: 64 << 20, truncate: false) }
            return Answer(status: response.status, body: response.body)
        } catch {
            throw MatrixError.unknown("\(method) \(url): \(error)")
        }
    }
}
