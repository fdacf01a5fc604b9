import Hummingbird
import NIOCore

/// The request context of every Apus route.
public struct ApusRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Largest request body a handler reads; the server's body-limit middleware sets it from
    /// `http.max_request_body_size`.
    public var maxUploadSize: Int
    /// Remote address, for logs and rate limits.
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        maxUploadSize = 1 << 20
        remoteAddress = source.channel.remoteAddress
    }
}
