/// `[registration]`: who may create accounts.
extension ApusConfiguration {
    public struct Registration: Sendable, Equatable {
        public var enabled: Bool
        public var requireToken: Bool
        /// Enables `/_synapse/admin/v1/register` when not empty.
        public var sharedSecret: String
        public var allowGuests: Bool

        public init(enabled: Bool = false, requireToken: Bool = false, sharedSecret: String = "", allowGuests: Bool = false) {
            self.enabled = enabled
            self.requireToken = requireToken
            self.sharedSecret = sharedSecret
            self.allowGuests = allowGuests
        }
    }
}

extension ApusConfiguration.Registration {
    init(reading table: ConfigReader) {
        self.init()
        enabled = table.bool("enabled") ?? enabled
        requireToken = table.bool("require_token") ?? requireToken
        sharedSecret = table.string("shared_secret") ?? sharedSecret
        allowGuests = table.bool("allow_guests") ?? allowGuests
    }
}
