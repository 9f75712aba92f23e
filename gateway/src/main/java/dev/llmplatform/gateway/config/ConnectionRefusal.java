package dev.llmplatform.gateway.config;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Put at the front of a connection over the limit: answers at once with a complete HTTP/1.1 503 (Retry-After,
 * Connection: close, an OpenAI error body) and closes. Nothing behind it ever sees the connection. The write side
 * is shut first and what the client sends is read and dropped for a moment, so that closing does not turn into a
 * reset that would discard the answer before the client reads it.
 */
final class ConnectionRefusal extends ChannelInboundHandlerAdapter {

    private static final byte[] BODY = """
            {"error":{"message":"The gateway has too many open connections; retry shortly.","type":"server_error",\
            "param":null,"code":"service_unavailable"}}""".getBytes(StandardCharsets.UTF_8);
    private static final byte[] RESPONSE = ("HTTP/1.1 503 Service Unavailable\r\n"
            + "Content-Type: application/json\r\n"
            + "Content-Length: " + BODY.length + "\r\n"
            + "Retry-After: 1\r\n"
            + "Connection: close\r\n\r\n" + new String(BODY, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
    private static final long LINGER_MILLIS = 1000;

    private boolean answered;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive()) {
            answer(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        answer(ctx);
    }

    private void answer(ChannelHandlerContext ctx) {
        if (answered) {
            return;
        }
        answered = true;
        ctx.writeAndFlush(Unpooled.wrappedBuffer(RESPONSE)).addListener(written -> {
            if (ctx.channel() instanceof DuplexChannel duplex && written.isSuccess()) {
                duplex.shutdownOutput();
                ctx.executor().schedule(() -> ctx.channel().close(), LINGER_MILLIS, TimeUnit.MILLISECONDS);
            } else {
                ctx.channel().close();
            }
        });
        ctx.channel().config().setAutoRead(true);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ReferenceCountUtil.release(msg); // the request is not going anywhere
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        // swallowed: nothing behind this handler took part in the connection
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        ReferenceCountUtil.release(event);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.channel().close(); // a client that reset the refused connection: nothing worth a log line
    }
}
