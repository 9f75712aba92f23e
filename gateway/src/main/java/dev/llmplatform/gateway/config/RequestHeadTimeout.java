package dev.llmplatform.gateway.config;

import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Closes a connection that does not deliver a complete request head in time: from its opening, and on a kept-alive
 * connection from the first byte of the next request. Reactor Netty's read and request timeouts start only once a
 * head is decoded, and its idle timeout is reset by every byte, so a slow-loris sending a header byte every few
 * seconds would otherwise hold the connection for ever. Two handlers share this state on one channel's event loop:
 * {@link #firstBytes()} at the front of the pipeline sees raw bytes, {@link #heads()} right after the HTTP codec sees
 * decoded requests and the responses going out.
 */
final class RequestHeadTimeout {

    private final Channel channel;
    private final long timeoutNanos;
    private final Runnable onTimeout;
    private ScheduledFuture<?> timer;
    private boolean waitingForNextRequest;
    private boolean requestComplete;
    private boolean responseComplete;
    private boolean informational;

    RequestHeadTimeout(Channel channel, Duration timeout, Runnable onTimeout) {
        this.channel = channel;
        this.timeoutNanos = timeout.toNanos();
        this.onTimeout = onTimeout;
    }

    /** The connection has just been opened: its first head is due within the timeout. */
    void armAtOpening() {
        arm();
    }

    ChannelInboundHandlerAdapter firstBytes() {
        return new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (waitingForNextRequest) { // the first byte of the next request on a kept-alive connection
                    waitingForNextRequest = false;
                    arm();
                }
                ctx.fireChannelRead(msg);
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
                disarm();
                ctx.fireChannelInactive();
            }
        };
    }

    ChannelDuplexHandler heads() {
        return new ChannelDuplexHandler() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (msg instanceof HttpRequest) {
                    disarm(); // the head is complete; the body has its own (read and request) timeouts
                    waitingForNextRequest = false;
                    requestComplete = false;
                    responseComplete = false;
                }
                if (msg instanceof LastHttpContent) {
                    requestComplete = true;
                    awaitNextRequestIfDone();
                }
                ctx.fireChannelRead(msg);
            }

            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                if (msg instanceof HttpResponse response) {
                    informational = response.status().codeClass() == io.netty.handler.codec.http.HttpStatusClass.INFORMATIONAL;
                }
                if (msg instanceof LastHttpContent && !informational) { // a 100 Continue is not the end of the exchange
                    promise = promise.unvoid();
                    promise.addListener(written -> {
                        if (written.isSuccess()) {
                            responseComplete = true;
                            awaitNextRequestIfDone();
                        }
                    });
                }
                ctx.write(msg, promise);
            }
        };
    }

    private void awaitNextRequestIfDone() {
        if (requestComplete && responseComplete && channel.isActive()) {
            waitingForNextRequest = true; // the idle timeout covers the gap; the next byte starts the clock
        }
    }

    private void arm() {
        disarm();
        timer = channel.eventLoop().schedule(() -> {
            timer = null;
            if (channel.isActive()) {
                onTimeout.run();
                channel.close();
            }
        }, timeoutNanos, TimeUnit.NANOSECONDS);
    }

    private void disarm() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
