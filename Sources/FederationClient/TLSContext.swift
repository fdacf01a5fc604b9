import ApusConfig
import NIOSSL
import Outbound

/// The client TLS context: certificates verified against the system trust store plus the
/// configured PEM files (each certificate in them, a self-signed leaf included, is an anchor),
/// or not at all when `verify_tls` is off. Hostname checks happen per connection against the
/// name `ServerResolver` chose. The CA files are read at once (a bad path shows at start); the
/// context is made on the first outbound connection.
enum TLSContext {
    static func make(config: ApusConfiguration.Federation, caFilePaths: [String])
        -> Result<LazyTLSContext<FederationClientError>, FederationClientError> {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.applicationProtocols = ["http/1.1"]
        // A closing connection waits this long for the peer's close_notify; a hung peer
        // should not hold the socket (or delay shutdown) for NIOSSL's default 5 s.
        tls.shutdownTimeout = .seconds(1)
        if config.verifyTLS {
            var extra: [NIOSSLCertificate] = []
            for path in caFilePaths {
                do {
                    extra += try NIOSSLCertificate.fromPEMFile(path)
                } catch {
                    return .failure(.unreachable("cannot read CA file \(path): \(error)"))
                }
            }
            if !extra.isEmpty { tls.additionalTrustRoots = [.certificates(extra)] }
        } else {
            tls.certificateVerification = .none
        }
        return .success(LazyTLSContext(configuration: tls) { .unreachable("cannot set up TLS: \($0)") })
    }
}
