import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// A request NIO cannot parse never reaches the router (a raw non-ASCII byte in the target, as
/// curl sends an unencoded `?text=投诉`, or a malformed header), and HummingbirdCore would answer
/// it with an empty 400. This answers the API's JSON error instead, saying what to do, and closes
/// the connection: after a parse error the rest of the stream cannot be read.
final class UnparsableRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundOut = HTTPResponsePart

    static let body = #"{"error":{"code":"bad_request","message":"the request is not valid HTTP: percent-encode the URL (?text=投诉 is sent as ?text=%E6%8A%95%E8%AF%89; curl does it with -G --data-urlencode 'text=投诉') and send well-formed headers"}}"#

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard error is HTTPParserError else { return context.fireErrorCaught(error) }
        var buffer = context.channel.allocator.buffer(capacity: Self.body.utf8.count)
        buffer.writeString(Self.body)
        var fields = HTTPFields()
        fields[.contentType] = "application/json; charset=utf-8"
        fields[.contentLength] = String(buffer.readableBytes)
        fields[.connection] = "close"
        context.write(wrapOutboundOut(.head(HTTPResponse(status: .badRequest, headerFields: fields))), promise: nil)
        context.write(wrapOutboundOut(.body(buffer)), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
}
