import MatrixProtocol

/// `[[listeners]]`: one listening socket.
extension ApusConfiguration {
    public struct Listener: Sendable, Equatable {
        /// What a port serves; one port may serve several.
        public enum Resource: String, Sendable, CaseIterable {
            case client, federation, metrics
        }

        /// Address to bind; IPv6 addresses are stored without brackets.
        public var bind: String
        public var port: Int
        /// Non-empty, no duplicates, in file order.
        public var resources: [Resource]
        public var tls: Bool
        /// PEM files, as written (resolve with `ApusConfiguration.resolvePath`); both set when `tls`.
        public var tlsCertificate: String?
        public var tlsPrivateKey: String?

        public init(
            bind: String = "127.0.0.1",
            port: Int = 8008,
            resources: [Resource] = [.client],
            tls: Bool = false,
            tlsCertificate: String? = nil,
            tlsPrivateKey: String? = nil
        ) {
            self.bind = bind
            self.port = port
            self.resources = resources
            self.tls = tls
            self.tlsCertificate = tlsCertificate
            self.tlsPrivateKey = tlsPrivateKey
        }
    }
}

extension ApusConfiguration.Listener {
    init(reading table: ConfigReader) {
        self.init()
        bind = table.string("bind", Self.validBind) ?? bind
        port = table.int("port", in: 1...65535) ?? port
        resources = table.array("resources", uniqueChoicesOf: Resource.self) ?? resources
        tls = table.bool("tls") ?? tls
        tlsCertificate = table.path("tls_certificate")
        tlsPrivateKey = table.path("tls_private_key")
        if tls {
            // Reported at `tls` because the missing key has no line of its own.
            if tlsCertificate == nil {
                table.invalid("tls", "tls = true needs tls_certificate")
            }
            if tlsPrivateKey == nil {
                table.invalid("tls", "tls = true needs tls_private_key")
            }
        }
    }

    /// An IPv4/IPv6 literal or a host name, without a port (the port has its own key).
    static func validBind(_ text: String) throws(ValueProblem) -> String {
        let unbracketed = text.hasPrefix("[") && text.hasSuffix("]") ? String(text.dropFirst().dropLast()) : text
        let problem = ValueProblem("expected an IP address or host name to bind, without a port")
        if unbracketed.contains(":") {
            guard (try? ServerName("[\(unbracketed)]")) != nil else { throw problem }
            return unbracketed
        }
        guard let name = try? ServerName(unbracketed), name.port == nil else { throw problem }
        return unbracketed
    }
}
