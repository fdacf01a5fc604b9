import NIOCore
import NIOHTTP1

/// One request to write on a connection, and where its answer goes.
struct HTTPExchange: Sendable {
    var head: HTTPRequestHead
    var body: ByteBuffer?
    var bodyLimit: Int
    var deadline: NIODeadline
    var promise: EventLoopPromise<HTTPExchangeResult>
}

struct HTTPExchangeResult: Sendable {
    var response: FederationResponse
    /// Both sides allow another request on this connection.
    var keepAlive: Bool
}

/// Why an exchange failed below HTTP.
enum HTTPExchangeError: Error, Sendable, CustomStringConvertible {
    /// The connection closed before any answer; on a reused connection the server probably
    /// timed it out while idle, so the request can be sent again on a fresh one.
    case closedBeforeResponse
    case closedDuringResponse
    case timedOut
    case bodyTooLarge(Int)
    case busy

    var description: String {
        switch self {
        case .closedBeforeResponse: "connection closed before the response"
        case .closedDuringResponse: "connection closed during the response"
        case .timedOut: "timed out"
        case .bodyTooLarge(let limit): "response body larger than \(limit) bytes"
        case .busy: "connection busy"
        }
    }
}

/// Runs one request/response at a time on a keep-alive HTTP/1.1 connection: writes the
/// request parts, gathers the answer (Content-Length or chunked, decoded by NIOHTTP1) within
/// a size limit and deadline, and closes the connection on any failure so it is never reused
/// in an unknown state.
final class HTTPExchangeHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPExchange
    typealias OutboundOut = HTTPClientRequestPart

    private var current: HTTPExchange?
    private var head: HTTPResponseHead?
    private var body = ByteBuffer()
    private var timeout: Scheduled<Void>?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let exchange = unwrapOutboundIn(data)
        guard current == nil else {
            exchange.promise.fail(HTTPExchangeError.busy)
            promise?.fail(HTTPExchangeError.busy)
            return
        }
        current = exchange
        head = nil
        body = context.channel.allocator.buffer(capacity: 0)
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timeout = context.eventLoop.scheduleTask(deadline: exchange.deadline) {
            let (handler, context) = loopBound.value
            handler.fail(HTTPExchangeError.timedOut, context: context)
        }
        context.write(wrapOutboundOut(.head(exchange.head)), promise: nil)
        if let requestBody = exchange.body, requestBody.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(requestBody))), promise: nil)
        }
        context.write(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let exchange = current else {
            // An answer nobody asked for (say a 408 before an idle close): the connection is done.
            return context.close(promise: nil)
        }
        switch unwrapInboundIn(data) {
        case .head(let responseHead):
            head = responseHead
        case .body(var part):
            guard body.readableBytes + part.readableBytes <= exchange.bodyLimit else {
                return fail(HTTPExchangeError.bodyTooLarge(exchange.bodyLimit), context: context)
            }
            body.writeBuffer(&part)
        case .end:
            guard let responseHead = head else { return fail(HTTPExchangeError.closedBeforeResponse, context: context) }
            // Interim 1xx answers (we never ask for them) are followed by the real one.
            if (100..<200).contains(responseHead.status.code) && responseHead.status.code != 101 {
                head = nil
                return
            }
            finish()
            let keepAlive = responseHead.isKeepAlive && exchange.head.isKeepAlive
            let response = FederationResponse(status: Int(responseHead.status.code),
                                              headers: responseHead.headers.map { ($0.name, $0.value) },
                                              body: body.readBytes(length: body.readableBytes) ?? [])
            body = ByteBuffer()
            if !keepAlive { context.close(promise: nil) }
            exchange.promise.succeed(HTTPExchangeResult(response: response, keepAlive: keepAlive))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        fail(error, context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(head == nil ? HTTPExchangeError.closedBeforeResponse : HTTPExchangeError.closedDuringResponse, context: context)
        context.fireChannelInactive()
    }

    private func fail(_ error: Error, context: ChannelHandlerContext) {
        let exchange = current
        finish()
        context.close(promise: nil)
        exchange?.promise.fail(error)
    }

    private func finish() {
        current = nil
        timeout?.cancel()
        timeout = nil
    }
}
