package dev.llmplatform.gateway.config;

import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * A client that stops sending halfway through a request (a slow-loris, or a broken Content-Length) must not
 * hold a connection open for ever: Reactor Netty gives up on it after these limits, and {@link ConnectionGuard}
 * bounds how long a request head may take, how long a connection may idle and how many may be open.
 */
@Configuration(proxyBeanMethods = false)
class HttpServerTimeouts {

    @Bean
    NettyServerCustomizer requestReadTimeouts(GatewayProperties properties) {
        return server -> server.readTimeout(properties.httpReadTimeout()).requestTimeout(properties.httpRequestTimeout());
    }

    @Bean
    NettyServerCustomizer connectionGuard(GatewayProperties properties, MeterRegistry meters) {
        return new ConnectionGuard(properties.maxConnections(), properties.httpHeaderTimeout(), properties.httpIdleTimeout(), meters);
    }

    /**
     * Forwarded / X-Forwarded-* headers come from whoever connects; Reactor Netty would take the client address,
     * host and a path prefix (X-Forwarded-Prefix) from them. Spring Boot turns that on by itself on Kubernetes
     * (server.forward-headers-strategy=native); the gateway is the edge, so it is turned off here, after Boot's
     * setting. The client address comes from the socket (ClientAddress: trusted proxies only by configuration).
     */
    @Bean
    NettyServerCustomizer ignoreForwardedHeaders() {
        return server -> server.forwarded(false);
    }
}
