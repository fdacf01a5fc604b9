import APICore
import Hummingbird
import MatrixProtocol
import Services

/// `PUT /_matrix/federation/v1/send/{txnId}`.
enum Transactions {
    static func register(on routes: RouteTable, homeserver: Homeserver) {
        routes.federation(.put, "/_matrix/federation/v1/send/:txnID", homeserver: homeserver) { req in
            guard req.body["origin"]?.stringValue.map({ $0 == req.origin }) ?? true else {
                throw MatrixError.forbidden("The transaction's origin is not the authenticated server")
            }
            return .json(try await homeserver.federation.receiveTransaction(origin: req.origin, txnID: try req.path("txnID"), body: req.body))
        }
    }
}
