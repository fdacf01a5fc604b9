import MatrixProtocol

/// `[federation]`: talking to other servers.
extension ApusConfiguration {
    public struct Federation: Sendable, Equatable {
        public var enabled: Bool
        public var verifyTLS: Bool
        /// PEM files trusted besides the system store, as written (resolve with `resolvePath`).
        public var extraCAFiles: [String]
        /// Loopback/private destinations are refused unless set (test deployments only).
        public var allowPrivateDestinations: Bool
        public var trustedKeyServers: [ServerName]

        public init(
            enabled: Bool = true,
            verifyTLS: Bool = true,
            extraCAFiles: [String] = [],
            allowPrivateDestinations: Bool = false,
            trustedKeyServers: [ServerName] = []
        ) {
            self.enabled = enabled
            self.verifyTLS = verifyTLS
            self.extraCAFiles = extraCAFiles
            self.allowPrivateDestinations = allowPrivateDestinations
            self.trustedKeyServers = trustedKeyServers
        }
    }
}

extension ApusConfiguration.Federation {
    init(reading table: ConfigReader) {
        self.init()
        enabled = table.bool("enabled") ?? enabled
        verifyTLS = table.bool("verify_tls") ?? verifyTLS
        extraCAFiles = table.array("extra_ca_files", of: ConfigReader.nonEmptyPath) ?? extraCAFiles
        allowPrivateDestinations = table.bool("allow_private_destinations") ?? allowPrivateDestinations
        trustedKeyServers = table.array("trusted_key_servers", of: ServerName.validated) ?? trustedKeyServers
    }
}
