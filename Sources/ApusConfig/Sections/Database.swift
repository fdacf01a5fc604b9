/// `[database]`: the SQLite store.
extension ApusConfiguration {
    public struct Database: Sendable, Equatable {
        /// SQLite `PRAGMA synchronous`: `full` survives power loss, `normal` is faster.
        public enum Synchronous: String, Sendable, CaseIterable {
            case full, normal
        }

        /// `path`, as written; see `ApusConfiguration.databasePath` for the absolute path.
        public var path: String
        public var synchronous: Synchronous

        public init(path: String = "apus.db", synchronous: Synchronous = .full) {
            self.path = path
            self.synchronous = synchronous
        }
    }
}

extension ApusConfiguration.Database {
    init(reading table: ConfigReader) {
        self.init()
        path = table.path("path") ?? path
        synchronous = table.choice("synchronous") ?? synchronous
    }
}
