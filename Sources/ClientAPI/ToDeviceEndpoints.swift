import APICore
import Hummingbird
import MatrixProtocol
import Services

/// `PUT /sendToDevice/{eventType}/{txnId}`.
enum ToDeviceEndpoints {
    static func register(on routes: RouteTable, homeserver hs: Homeserver) {
        routes.client(.put, "/sendToDevice/:eventType/:txnID") { request, context in
            let requester = try await hs.requester(request)
            try await hs.toDevice.send(requester, type: try context.pathParameter("eventType"), txnID: try context.pathParameter("txnID"),
                                       body: try await request.jsonObject(context: context))
            return .json([:])
        }
    }
}
