import APICore
import Hummingbird
import MatrixProtocol
import Services

/// An authenticated server-server request: who sent it and its JSON body.
struct FederationRequest {
    let origin: String
    let body: JSONObject
    let request: Request
    let context: ApusRequestContext

    func path(_ name: String) throws -> String { try context.pathParameter(name) }
    func query(_ name: String) -> String? { request.uri.queryParameters.get(name) }
    func queryAll(_ name: String) -> [String] { request.uri.queryParameters.getAll(name).map { String($0) } }
}

extension RouteTable {
    /// Registers a federation route whose requests must carry valid X-Matrix credentials.
    ///
    /// The handler runs in Swift's global pool (`inPool`), not on the event loop that read the
    /// request: a transaction of many PDUs or a whole room's state (`send_join`, `/state`,
    /// backfill) can take long, and clients share the loop.
    func federation(_ method: HTTPRequest.Method, _ path: String, homeserver: Homeserver,
                    _ handler: @escaping @Sendable (FederationRequest) async throws -> Response) {
        on(method, path, Self.inPool { request, context in
            try await Self.authenticated(request, context, homeserver: homeserver, handler)
        })
    }

    private static func authenticated(_ request: Request, _ context: ApusRequestContext, homeserver: Homeserver,
                                      _ handler: @Sendable (FederationRequest) async throws -> Response) async throws -> Response {
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        var body: JSONObject = [:]
        var content: JSONValue?
        if buffer.readableBytes > 0 {
            do { content = try JSONParser.parse(buffer.readableBytesView) } catch { throw MatrixError.notJSON("Content not JSON: \(error)") }
            guard case .object(let object)? = content else { throw MatrixError.badJSON("Request body must be a JSON object") }
            body = object
        }
        let headers = request.headers[values: .authorization]
        let origin = try await homeserver.federation.authentication.origin(
            method: request.method.rawValue, uri: request.head.path ?? request.uri.description,
            authorizationHeaders: headers, body: content)
        await homeserver.federation.peerContacted(origin)
        return try await handler(FederationRequest(origin: origin, body: body, request: request, context: context))
    }
}
