import MatrixProtocol

/// Why a value of the right type is not acceptable; becomes an `invalidValue` issue.
struct ValueProblem: Error {
    let message: String

    init(_ message: String) {
        self.message = message
    }
}

extension ServerName {
    static func validated(_ text: String) throws(ValueProblem) -> ServerName {
        do {
            return try ServerName(text)
        } catch {
            throw ValueProblem("expected a server name (host or host:port): \(error)")
        }
    }
}

extension ConfigReader {
    static func nonEmpty(_ text: String) throws(ValueProblem) -> String {
        guard !text.isEmpty else { throw ValueProblem("must not be empty") }
        return text
    }

    static func nonEmptyPath(_ text: String) throws(ValueProblem) -> String {
        guard !text.isEmpty else { throw ValueProblem("expected a path, found an empty string") }
        return text
    }
}
