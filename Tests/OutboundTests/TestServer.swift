import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Outbound
import Synchronization

/// What the test server answers.
struct Reply: Sendable {
    var status: Int = 200
    var headers: [(String, String)] = [("Content-Type", "text/plain")]
    var body: [UInt8] = Array("ok".utf8)
    /// Send the body in chunks of this size (chunked encoding when no Content-Length is set).
    var chunkSize: Int?
    /// Never answer.
    var hang = false

    static func redirect(_ location: String, status: Int = 302) -> Reply {
        Reply(status: status, headers: [("Location", location)], body: [])
    }
}

struct Received: Sendable {
    var method: String
    var uri: String
    var headers: [(String, String)]
    var body: [UInt8]
    func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
}

/// An HTTP(S)/1.1 server on 127.0.0.1 and a random port, recording requests.
final class TestServer: Sendable {
    let port: Int
    private let channel: any Channel
    private let log = RequestLog()
    var received: [Received] { log.entries.withLock { $0 } }

    init(tls: NIOSSLContext? = nil, respond: @escaping @Sendable (Received) -> Reply) async throws {
        let log = self.log
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(Handler(log: log, respond: respond))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        port = channel.localAddress!.port!
    }

    func stop() async { try? await channel.close() }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let log: RequestLog
        let respond: @Sendable (Received) -> Reply
        var request: Received?

        init(log: RequestLog, respond: @escaping @Sendable (Received) -> Reply) {
            self.log = log
            self.respond = respond
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                request = Received(method: head.method.rawValue, uri: head.uri, headers: head.headers.map { ($0.name, $0.value) }, body: [])
            case .body(var buffer):
                request?.body += buffer.readBytes(length: buffer.readableBytes) ?? []
            case .end:
                guard let request else { return }
                log.entries.withLock { $0.append(request) }
                let reply = respond(request)
                if reply.hang { return }
                var head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: reply.status))
                for (name, value) in reply.headers { head.headers.add(name: name, value: value) }
                if reply.chunkSize == nil { head.headers.replaceOrAdd(name: "Content-Length", value: String(reply.body.count)) }
                context.write(wrapOutboundOut(.head(head)), promise: nil)
                let size = max(reply.chunkSize ?? reply.body.count, 1)
                var offset = 0
                while offset < reply.body.count {
                    let end = min(offset + size, reply.body.count)
                    context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: reply.body[offset..<end])))), promise: nil)
                    offset = end
                }
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) { context.close(promise: nil) }
    }
}

final class RequestLog: Sendable {
    let entries = Mutex<[Received]>([])
}

/// Resolves every name to fixed addresses.
struct FixedResolver: HostResolver {
    let table: [String: [IPAddress]]
    func addresses(of host: String, deadline: NIODeadline) async throws(OutboundError) -> [IPAddress] {
        guard let addresses = table[host] else { throw .unresolvable(host) }
        return addresses
    }
}
