package dev.llmplatform.gateway.config;

import dev.llmplatform.proto.v1.SchedulerGrpc;
import io.grpc.health.v1.HealthGrpc;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.grpc.client.ChannelBuilderOptions;
import org.springframework.grpc.client.GrpcChannelFactory;

@Configuration(proxyBeanMethods = false)
class SchedulerClientConfig {

    // The channel factory owns the channel and shuts it down with the context. The callbacks (each streamed chunk)
    // run on the transport's thread: they only hand the chunk to Reactor, which never blocks, and a token so crosses
    // one thread fewer on its way to the client.
    @Bean
    SchedulerChannel schedulerChannel(GrpcChannelFactory channels, GatewayProperties properties) {
        return new SchedulerChannel(channels.createChannel(properties.schedulerTarget(),
                ChannelBuilderOptions.defaults().withCustomizer((target, builder) -> builder.directExecutor())));
    }

    @Bean
    SchedulerGrpc.SchedulerStub schedulerStub(SchedulerChannel channel) {
        return SchedulerGrpc.newStub(channel.channel());
    }

    @Bean
    HealthGrpc.HealthStub schedulerHealth(SchedulerChannel channel) {
        return HealthGrpc.newStub(channel.channel());
    }
}
