import Foundation
import Hummingbird
import MatrixProtocol

extension ApusRequestContext {
    /// A path parameter, percent-decoded: Matrix IDs in paths arrive encoded (`!`, `:`, and the
    /// `/` and `+` of room v3 event IDs).
    public func pathParameter(_ name: String) throws(MatrixError) -> String {
        guard let raw = parameters.get(name) else { throw MatrixError.missingParam("Missing path parameter '\(name)'") }
        guard let decoded = raw.removingPercentEncoding else { throw MatrixError.invalidParam("Malformed '\(name)'") }
        return decoded
    }
}
