import MatrixProtocol

/// A boolean query parameter (`true`/`false`, absent = false), shared by both APIs.
public enum QueryFlag {
    public static func parse(_ text: String?, name: String) throws(MatrixError) -> Bool {
        switch text {
        case nil, "false": return false
        case "true": return true
        default: throw MatrixError.invalidParam("\(name) must be true or false")
        }
    }
}
