package dev.llmplatform.gateway.config;

import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * A client that stops sending halfway through a request (a slow-loris, or a broken Content-Length) must not
 * hold a connection open for ever: Reactor Netty gives up on it after these limits.
 */
@Configuration(proxyBeanMethods = false)
class HttpServerTimeouts {

    @Bean
    NettyServerCustomizer requestReadTimeouts(GatewayProperties properties) {
        return server -> server.readTimeout(properties.httpReadTimeout()).requestTimeout(properties.httpRequestTimeout());
    }
}
