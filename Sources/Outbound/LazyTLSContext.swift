import NIOSSL
import Synchronization

/// A client TLS context made on its first use. Loading the system trust store takes about
/// 0.8 MiB that stays for the context's life; a server that never opens that kind of
/// connection (no URL previews, no push gateway, federation off the network) need not hold it.
public final class LazyTLSContext<Failure: Error>: Sendable {
    private let configuration: TLSConfiguration
    private let failure: @Sendable (any Error) -> Failure
    private let made = Mutex<Result<NIOSSLContext, Failure>?>(nil)

    /// `failure` describes an error of NIOSSL making the context.
    public init(configuration: TLSConfiguration, failure: @escaping @Sendable (any Error) -> Failure) {
        self.configuration = configuration
        self.failure = failure
    }

    /// The context, made by the first caller; a failure to make it is kept and answered again.
    public func get() throws(Failure) -> NIOSSLContext {
        try made.withLock { made in
            if let made { return made }
            let result: Result<NIOSSLContext, Failure>
            do {
                result = .success(try NIOSSLContext(configuration: configuration))
            } catch {
                result = .failure(failure(error))
            }
            made = result
            return result
        }.get()
    }
}
