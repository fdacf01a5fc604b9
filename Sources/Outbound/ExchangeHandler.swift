import NIOCore
import NIOHTTP1
import NIOSSL
import NIOTLS

/// One request written on a fresh connection, and where its answer goes.
struct Exchange: Sendable {
    var head: HTTPRequestHead
    var body: ByteBuffer?
    var deadline: NIODeadline
    var limit: @Sendable (OutboundResponseHead) -> BodyLimit
    var promise: EventLoopPromise<(head: OutboundResponseHead, body: [UInt8], truncated: Bool)>
}

/// Runs one request/response on a `Connection: close` connection: writes the request, reads
/// the head, asks the caller how much body it wants, reads that much at most and closes. Any
/// failure or the deadline closes the connection too, so a slow or endless answer costs at
/// most the caller's limit in memory and the deadline in time.
final class ExchangeHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = Exchange
    typealias OutboundOut = HTTPClientRequestPart

    private var exchange: Exchange?
    private var head: OutboundResponseHead?
    private var limit: BodyLimit = .skip
    private var body: [UInt8] = []
    private var timeout: Scheduled<Void>?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let exchange = unwrapOutboundIn(data)
        self.exchange = exchange
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timeout = context.eventLoop.scheduleTask(deadline: exchange.deadline) {
            let (handler, context) = loopBound.value
            handler.fail(OutboundError.timedOut, context: context)
        }
        context.write(wrapOutboundOut(.head(exchange.head)), promise: nil)
        if let requestBody = exchange.body, requestBody.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(requestBody))), promise: nil)
        }
        context.write(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let exchange else { return }
        switch unwrapInboundIn(data) {
        case .head(let responseHead):
            let code = Int(responseHead.status.code)
            if (100..<200).contains(code) { return }  // interim; the real head follows
            let parsed = OutboundResponseHead(status: code, headers: responseHead.headers.map { ($0.name, $0.value) })
            head = parsed
            limit = exchange.limit(parsed)
            switch limit {
            case .skip:
                succeed(truncated: false, context: context)
            case .read(let max, let truncate):
                if !truncate, let length = parsed.header("Content-Length").flatMap(Int.init), length > max {
                    fail(OutboundError.tooLarge(max), context: context)
                }
            }
        case .body(var part):
            guard head != nil, case .read(let max, let truncate) = limit else { return }
            let room = max - body.count
            if part.readableBytes > room {
                guard truncate else { return fail(OutboundError.tooLarge(max), context: context) }
                body += part.readBytes(length: room) ?? []
                return succeed(truncated: true, context: context)
            }
            body += part.readBytes(length: part.readableBytes) ?? []
        case .end:
            guard head != nil else { return fail(OutboundError.badResponse("no response head"), context: context) }
            succeed(truncated: false, context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // Servers often close TLS without close_notify after a `Connection: close` answer;
        // a body that really was cut short still fails in the HTTP decoder at EOF.
        if let tls = error as? NIOSSLError, case .uncleanShutdown = tls { return }
        fail(error, context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(OutboundError.unreachable(head == nil ? "connection closed before the response" : "connection closed during the response"),
             context: context)
        context.fireChannelInactive()
    }

    // The promise is completed before the connection is closed: closing fails the request's
    // write if it is still pending, and that failure must not be the answer (a body found too
    // large while the request was being flushed was reported as "I/O on closed channel").
    private func succeed(truncated: Bool, context: ChannelHandlerContext) {
        guard let exchange, let head else { return }
        self.exchange = nil
        let answer = (head: head, body: body, truncated: truncated)
        body = []
        exchange.promise.succeed(answer)
        finish(context: context)
    }

    private func fail(_ error: Error, context: ChannelHandlerContext) {
        guard let exchange else { return }
        self.exchange = nil
        exchange.promise.fail(error)
        finish(context: context)
    }

    private func finish(context: ChannelHandlerContext) {
        timeout?.cancel()
        timeout = nil
        context.close(promise: nil)
    }
}

/// Completes its promise when the TLS handshake finishes, or fails it (with `closed` when the
/// connection ends first, or never became active).
public final class HandshakeWaiter: ChannelInboundHandler, Sendable {
    public typealias InboundIn = ByteBuffer
    public let promise: EventLoopPromise<Void>
    let closed: any Error & Sendable

    public init(promise: EventLoopPromise<Void>, closed: any Error & Sendable) {
        self.promise = promise
        self.closed = closed
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event { promise.succeed() }
        context.fireUserInboundEventTriggered(event)
    }

    public func errorCaught(context: ChannelHandlerContext, error: Error) {
        promise.fail(error)
        context.fireErrorCaught(error)
    }

    public func channelInactive(context: ChannelHandlerContext) {
        promise.fail(closed)
        context.fireChannelInactive()
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        promise.fail(closed)
    }
}
