package dev.llmplatform.commons.security;

import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.grpc.server.GlobalServerInterceptor;

/** Puts the caller check on every gRPC server of every service (see {@link GrpcCallerAuthorization}). */
@AutoConfiguration
@EnableConfigurationProperties(InternalPlaneProperties.class)
public class InternalPlaneAutoConfiguration {

    InternalPlaneAutoConfiguration(InternalPlaneProperties properties) {
        if (!properties.enabled()) {
            LoggerFactory.getLogger(InternalPlaneAutoConfiguration.class).warn(
                    "platform.security.enabled=false: internal ports take plaintext callers without certificates");
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass({GlobalServerInterceptor.class, io.grpc.ServerInterceptor.class})
    static class Server {

        @Bean
        @GlobalServerInterceptor
        @Order(Ordered.HIGHEST_PRECEDENCE)
        GrpcCallerAuthorization grpcCallerAuthorization(InternalPlaneProperties properties) {
            return new GrpcCallerAuthorization(properties);
        }
    }
}
