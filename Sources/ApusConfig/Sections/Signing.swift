/// `[signing]`: where the server's ed25519 key lives.
extension ApusConfiguration {
    public struct Signing: Sendable, Equatable {
        /// `key_path`, as written; see `ApusConfiguration.signingKeyPath` for the absolute path.
        public var keyPath: String

        public init(keyPath: String = "signing.key") {
            self.keyPath = keyPath
        }
    }
}

extension ApusConfiguration.Signing {
    init(reading table: ConfigReader) {
        self.init()
        keyPath = table.path("key_path") ?? keyPath
    }
}
