import APICore
import Hummingbird
import MatrixProtocol
import Services

/// End-to-end encryption keys: `/keys/upload`, `/keys/query`, `/keys/claim`, `/keys/changes`,
/// and cross-signing (`/keys/device_signing/upload`, `/keys/signatures/upload`).
enum KeysEndpoints {
    static func register(on routes: RouteTable, homeserver hs: Homeserver) {
        routes.client(.post, "/keys/upload") { request, context in
            let requester = try await hs.requester(request)
            return .json(try await hs.e2eeKeys.upload(requester, body: try await request.jsonObject(context: context)))
        }
        routes.clientInPool(.post, "/keys/query") { request, context in
            let requester = try await hs.requester(request)
            return .json(try await hs.e2eeKeys.query(requester, body: try await request.jsonObject(context: context)))
        }
        routes.client(.post, "/keys/claim") { request, context in
            let requester = try await hs.requester(request)
            return .json(try await hs.e2eeKeys.claim(requester, body: try await request.jsonObject(context: context)))
        }
        routes.client(.get, "/keys/changes") { request, _ in
            let requester = try await hs.requester(request)
            let query = request.uri.queryParameters
            guard let from = query.get("from") else { throw MatrixError.missingParam("Missing 'from'") }
            guard let to = query.get("to") else { throw MatrixError.missingParam("Missing 'to'") }
            return .json(try await hs.e2eeKeys.changes(requester, from: try SyncToken(from), to: try SyncToken(to)))
        }
        routes.client(.post, "/keys/device_signing/upload") { request, context in
            let requester = try await hs.requester(request)
            try await hs.e2eeKeys.uploadCrossSigningKeys(requester, body: try await request.jsonObject(context: context))
            return .json([:])
        }
        routes.client(.post, "/keys/signatures/upload") { request, context in
            let requester = try await hs.requester(request)
            return .json(try await hs.e2eeKeys.uploadSignatures(requester, body: try await request.jsonObject(context: context)))
        }
    }
}
