/// Everything wrong with a configuration file, so one run shows every problem.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// One problem, pinned to a key and (when it can be found) a line.
    public struct Issue: Sendable, Equatable, CustomStringConvertible {
        public enum Kind: Sendable, Equatable {
            /// The file could not be read.
            case unreadable
            /// Not valid TOML.
            case syntax
            /// A key this version of Apus does not know (usually a typo).
            case unknownKey
            /// A value of the wrong TOML type, e.g. a string where a boolean belongs.
            case wrongType
            /// A value of the right type that is not allowed, e.g. port 0.
            case invalidValue
        }

        public var kind: Kind
        /// The key path, e.g. `listeners[1].port` (indexes are 0-based); empty for whole-file problems.
        public var key: String
        /// 1-based line in the file; nil when it cannot be determined.
        public var line: Int?
        public var message: String

        public init(kind: Kind, key: String, line: Int?, message: String) {
            self.kind = kind
            self.key = key
            self.line = line
            self.message = message
        }

        /// `12: registration.enabeld: unknown key`, without the file name.
        public var description: String {
            [line.map(String.init), key.isEmpty ? nil : key, message].compactMap { $0 }.joined(separator: ": ")
        }
    }

    /// The file name shown in front of every issue.
    public var file: String
    /// In file order; never empty.
    public var issues: [Issue]

    public init(file: String, issues: [Issue]) {
        self.file = file
        self.issues = issues
    }

    /// One issue per line: `apus.toml:12: registration.enabeld: unknown key`.
    public var description: String {
        issues.map { issue in
            let location = issue.line.map { "\(file):\($0)" } ?? file
            return ([location] + [issue.key.isEmpty ? nil : issue.key, issue.message].compactMap { $0 })
                .joined(separator: ": ")
        }.joined(separator: "\n")
    }
}
