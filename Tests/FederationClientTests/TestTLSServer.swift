import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// A request the test server received.
struct RecordedRequest: Sendable {
    var method: String
    var uri: String
    var headers: [(String, String)]
    var body: [UInt8]
    /// Which accepted connection carried it (1, 2, …).
    var connection: Int

    func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
}

struct TestResponse: Sendable {
    var status: Int = 200
    var headers: [(String, String)] = [("Content-Type", "application/json")]
    var chunks: [[UInt8]] = [Array("{}".utf8)]
    var chunked = false
    var close = false
    /// Close the connection without answering.
    var drop = false
    /// Never answer.
    var hang = false

    static func json(_ text: String, status: Int = 200) -> TestResponse {
        TestResponse(status: status, chunks: [Array(text.utf8)])
    }
}

/// A small HTTPS/1.1 server on 127.0.0.1 with a random port, recording requests and counting
/// connections, answering through `respond`.
final class TestTLSServer: Sendable {
    let port: Int
    private let channel: any Channel
    private let group: MultiThreadedEventLoopGroup
    private let state: ServerState

    var connections: Int { state.log.withLock { $0.connections } }
    var requests: [RecordedRequest] { state.log.withLock { $0.requests } }

    init(cert: String, key: String, respond: @escaping @Sendable (RecordedRequest) -> TestResponse) async throws {
        let state = ServerState(respond: respond)
        self.state = state
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let tls = try NIOSSLContext(configuration: .makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(cert).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))))
        channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let number = state.log.withLock { $0.connections += 1; return $0.connections }
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls))
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(TestServerHandler(server: state, connection: number))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        port = channel.localAddress!.port!
    }

    func stop() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }
}

private final class ServerState: Sendable {
    let log = Mutex<(connections: Int, requests: [RecordedRequest])>((0, []))
    let respond: @Sendable (RecordedRequest) -> TestResponse

    init(respond: @escaping @Sendable (RecordedRequest) -> TestResponse) { self.respond = respond }
}

private final class TestServerHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let server: ServerState
    let connection: Int
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []

    init(server: ServerState, connection: Int) {
        self.server = server
        self.connection = connection
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body = []
        case .body(var buffer):
            body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            guard let head else { return }
            let request = RecordedRequest(method: head.method.rawValue, uri: head.uri, headers: head.headers.map { ($0.name, $0.value) },
                                          body: body, connection: connection)
            server.log.withLock { $0.requests.append(request) }
            let answer = server.respond(request)
            if answer.drop { return context.close(promise: nil) }
            if answer.hang { return }
            var responseHead = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: answer.status))
            for (name, value) in answer.headers { responseHead.headers.add(name: name, value: value) }
            if answer.chunked {
                responseHead.headers.add(name: "Transfer-Encoding", value: "chunked")
            } else {
                responseHead.headers.add(name: "Content-Length", value: String(answer.chunks.reduce(0) { $0 + $1.count }))
            }
            if answer.close { responseHead.headers.add(name: "Connection", value: "close") }
            context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
            for chunk in answer.chunks {
                context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: chunk)))), promise: nil)
            }
            let close = answer.close
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { [context = NIOLoopBound(context, eventLoop: context.eventLoop)] _ in
                if close { context.value.close(promise: nil) }
            }
        }
    }
}
