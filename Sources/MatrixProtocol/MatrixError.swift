/// The one error type of Apus: an `errcode`, a human message, the HTTP status it maps to, and
/// any extra fields the spec puts in the error body. Thrown anywhere, rendered once.
public struct MatrixError: Error, Sendable, Equatable, CustomStringConvertible {
    public let errcode: String
    public let message: String
    public let status: Int
    public let extra: JSONObject

    public init(_ errcode: String, _ message: String, status: Int, extra: JSONObject = JSONObject()) {
        self.errcode = errcode
        self.message = message
        self.status = status
        self.extra = extra
    }

    public var description: String { "\(status) \(errcode): \(message)" }

    /// The response body: `{"errcode": ..., "error": ..., ...extra}`. An empty errcode leaves
    /// both out: a bare user-interactive-auth challenge is only its flows.
    public var body: JSONObject {
        var o = extra
        guard !errcode.isEmpty else { return o }
        o["errcode"] = .string(errcode)
        o["error"] = .string(message)
        return o
    }

    public static func unrecognized(_ message: String = "Unrecognized request", status: Int = 404) -> MatrixError {
        MatrixError("M_UNRECOGNIZED", message, status: status)
    }
    public static func notFound(_ message: String) -> MatrixError { MatrixError("M_NOT_FOUND", message, status: 404) }
    public static func forbidden(_ message: String) -> MatrixError { MatrixError("M_FORBIDDEN", message, status: 403) }
    public static func badJSON(_ message: String) -> MatrixError { MatrixError("M_BAD_JSON", message, status: 400) }
    public static func notJSON(_ message: String) -> MatrixError { MatrixError("M_NOT_JSON", message, status: 400) }
    public static func missingParam(_ message: String) -> MatrixError { MatrixError("M_MISSING_PARAM", message, status: 400) }
    public static func invalidParam(_ message: String) -> MatrixError { MatrixError("M_INVALID_PARAM", message, status: 400) }
    public static func tooLarge(_ message: String) -> MatrixError { MatrixError("M_TOO_LARGE", message, status: 413) }
    public static func unknown(_ message: String, status: Int = 500) -> MatrixError { MatrixError("M_UNKNOWN", message, status: status) }
    public static func limitExceeded(retryAfterMs: Int64) -> MatrixError {
        MatrixError("M_LIMIT_EXCEEDED", "Too many requests", status: 429, extra: ["retry_after_ms": .int(retryAfterMs)])
    }
}
