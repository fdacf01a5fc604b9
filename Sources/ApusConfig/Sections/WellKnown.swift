import MatrixProtocol

/// `[well_known]`: what `/.well-known/matrix/{client,server}` answer.
extension ApusConfiguration {
    public struct WellKnown: Sendable, Equatable {
        /// `client_base_url`; nil means `public_baseurl` (see `ApusConfiguration.clientBaseURL`).
        public var clientBaseURL: String?
        /// `server`: delegation target; nil means `/.well-known/matrix/server` answers 404.
        public var server: ServerName?

        public init(clientBaseURL: String? = nil, server: ServerName? = nil) {
            self.clientBaseURL = clientBaseURL
            self.server = server
        }
    }
}

extension ApusConfiguration.WellKnown {
    init(reading table: ConfigReader) {
        self.init()
        clientBaseURL = table.string("client_base_url", HTTPBaseURL.normalise)
        server = table.string("server", ServerName.validated)
    }
}
