import NIOCore
import NIOHTTPTypes

/// Closes a connection whose request body has not arrived whole within the read timeout.
///
/// Hummingbird's idle timeout restarts on every part it reads, so a client
/// that sends a body a byte a second (or announces a `Content-Length` it never
/// sends) would hold its socket and its handler forever. This handler starts a
/// deadline at each request head and cancels it at the request's end; the
/// headers themselves are bounded by the idle timeout, which is set to the same
/// value. Time spent answering (waiting for the database) is not counted.
final class RequestDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let timeout: TimeAmount
    private var deadline: Scheduled<Void>?

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            if deadline == nil {
                let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
                deadline = context.eventLoop.scheduleTask(in: timeout) {
                    loopBound.value.close(promise: nil)
                }
            }
        case .body:
            break
        case .end:
            cancel()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // A response written before the body arrived (413, an early error) ends the wait too.
        if case .end = unwrapOutboundIn(data) { cancel() }
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancel()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancel()
    }

    private func cancel() {
        deadline?.cancel()
        deadline = nil
    }
}
