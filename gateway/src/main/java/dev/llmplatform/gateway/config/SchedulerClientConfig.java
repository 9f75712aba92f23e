package dev.llmplatform.gateway.config;

import dev.llmplatform.proto.v1.SchedulerGrpc;
import io.grpc.Channel;
import io.grpc.health.v1.HealthGrpc;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.grpc.client.GrpcChannelFactory;

@Configuration(proxyBeanMethods = false)
class SchedulerClientConfig {

    // The channel factory owns the channel and shuts it down with the context.
    @Bean
    SchedulerChannel schedulerChannel(GrpcChannelFactory channels, GatewayProperties properties) {
        return new SchedulerChannel(channels.createChannel(properties.schedulerTarget()));
    }

    @Bean
    SchedulerGrpc.SchedulerStub schedulerStub(SchedulerChannel channel) {
        return SchedulerGrpc.newStub(channel.channel());
    }

    @Bean
    HealthGrpc.HealthStub schedulerHealth(SchedulerChannel channel) {
        return HealthGrpc.newStub(channel.channel());
    }

    /** The one channel to the scheduler, shared by its API and its health service. */
    record SchedulerChannel(Channel channel) {
    }
}
