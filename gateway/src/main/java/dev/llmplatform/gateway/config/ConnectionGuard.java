package dev.llmplatform.gateway.config;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import reactor.netty.NettyPipeline;
import reactor.netty.http.server.HttpServer;

/**
 * Keeps connections from exhausting the gateway: a request head must arrive within gateway.http-header-timeout
 * ({@link RequestHeadTimeout}), a connection without a request is closed after gateway.http-idle-timeout, and past
 * gateway.max-connections open connections a new one is answered with a raw 503 and closed
 * ({@link ConnectionRefusal}), so that file descriptors never run out and the API and probes keep answering.
 * None of this logs per connection: a flood would flood the log too. It is counted instead
 * ({@code gateway.connections.dropped} by reason, {@code gateway.connections.open}); failing accepts (the process
 * out of file descriptors anyway) are logged at most once a minute.
 */
final class ConnectionGuard implements NettyServerCustomizer {

    private static final Logger log = LoggerFactory.getLogger(ConnectionGuard.class);
    /** File descriptors kept for everything but client connections: upstream connections, files, the JVM. */
    private static final int RESERVED_DESCRIPTORS = 256;

    private final AtomicInteger open = new AtomicInteger();
    private final int maxConnections;
    private final Duration headerTimeout;
    private final Duration idleTimeout;
    private final Counter headerTimeouts;
    private final Counter overLimit;
    private final Counter acceptFailures;
    private final AtomicLong lastAcceptFailureLog = new AtomicLong(Long.MIN_VALUE);

    ConnectionGuard(int maxConnections, Duration headerTimeout, Duration idleTimeout, MeterRegistry meters) {
        this.maxConnections = withinDescriptorLimit(maxConnections);
        this.headerTimeout = headerTimeout;
        this.idleTimeout = idleTimeout;
        this.headerTimeouts = dropped(meters, "header-timeout");
        this.overLimit = dropped(meters, "over-limit");
        this.acceptFailures = dropped(meters, "accept-failed");
        Gauge.builder("gateway.connections.open", open, AtomicInteger::get)
                .description("open client connections").register(meters);
    }

    @Override
    public HttpServer apply(HttpServer server) {
        return server.idleTimeout(idleTimeout)
                .doOnChannelInit((observer, channel, remote) -> init(channel))
                .doOnBound(bound -> bound.channel().pipeline().addLast("gateway.acceptFailures", new AcceptFailures()));
    }

    int open() {
        return open.get();
    }

    private void init(Channel channel) {
        int now = open.incrementAndGet();
        channel.closeFuture().addListener(closed -> open.decrementAndGet());
        if (now > maxConnections) {
            overLimit.increment();
            channel.pipeline().addFirst("gateway.refuse", new ConnectionRefusal());
            return;
        }
        if (channel.pipeline().get(NettyPipeline.HttpCodec) == null) {
            return; // not HTTP/1.1 decoded here (h2): no head to wait for
        }
        var timeout = new RequestHeadTimeout(channel, headerTimeout, headerTimeouts::increment);
        channel.pipeline().addFirst("gateway.firstBytes", timeout.firstBytes());
        channel.pipeline().addAfter(NettyPipeline.HttpCodec, "gateway.requestHeads", timeout.heads());
        timeout.armAtOpening();
    }

    private static Counter dropped(MeterRegistry meters, String reason) {
        return Counter.builder("gateway.connections.dropped").tag("reason", reason)
                .description("client connections closed or refused by the gateway").register(meters);
    }

    // A limit above what the process may open could never be reached: accepts would fail first.
    private static int withinDescriptorLimit(int configured) {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
            long possible = unix.getMaxFileDescriptorCount() - RESERVED_DESCRIPTORS;
            if (possible > 0 && possible < configured) {
                log.warn("gateway.max-connections {} is over what the file descriptor limit ({}) allows; using {}",
                        configured, unix.getMaxFileDescriptorCount(), possible);
                return (int) possible;
            }
        }
        return configured;
    }

    /** On the listening channel: a failing accept (EMFILE) is counted, not logged once per attempt. */
    private final class AcceptFailures extends ChannelInboundHandlerAdapter {
        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            acceptFailures.increment();
            long now = System.nanoTime();
            long last = lastAcceptFailureLog.get();
            if ((last == Long.MIN_VALUE || now - last > 60_000_000_000L) && lastAcceptFailureLog.compareAndSet(last, now)) {
                log.warn("accepting connections fails ({}); counted in gateway.connections.dropped{{reason=accept-failed}}, "
                        + "logged at most once a minute", cause.toString());
            }
        }
    }
}
