package dev.llmplatform.gateway.config;

import dev.llmplatform.proto.v1.SchedulerGrpc;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.grpc.client.GrpcChannelFactory;

@Configuration(proxyBeanMethods = false)
class SchedulerClientConfig {

    // The channel factory owns the channel and shuts it down with the context.
    @Bean
    SchedulerGrpc.SchedulerStub schedulerStub(GrpcChannelFactory channels, GatewayProperties properties) {
        return SchedulerGrpc.newStub(channels.createChannel(properties.schedulerTarget()));
    }
}
