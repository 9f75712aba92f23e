package dev.llmplatform.commons.grpc;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.grpc.client.GlobalClientInterceptor;
import org.springframework.grpc.server.GlobalServerInterceptor;

/**
 * Puts the request-id interceptors on every gRPC server and channel of every service that has commons
 * and Spring gRPC on its class path, without a line of configuration in the service.
 */
@AutoConfiguration
@ConditionalOnClass(name = "io.grpc.ServerInterceptor")
public class RequestIdAutoConfiguration {

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(GlobalServerInterceptor.class)
    static class Server {

        @Bean
        @GlobalServerInterceptor
        RequestIdServerInterceptor requestIdServerInterceptor() {
            return new RequestIdServerInterceptor();
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(GlobalClientInterceptor.class)
    static class Client {

        @Bean
        @GlobalClientInterceptor
        RequestIdClientInterceptor requestIdClientInterceptor() {
            return new RequestIdClientInterceptor();
        }
    }
}
