package dev.llmplatform.gateway.config;

import dev.llmplatform.proto.v1.BatchStoreGrpc;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.grpc.client.GrpcChannelFactory;

/** The registry's BatchStore API, where files and batches are stored (docs/batch.md). */
@Configuration(proxyBeanMethods = false)
class RegistryClientConfig {

    @Bean
    BatchStoreGrpc.BatchStoreStub batchStoreStub(GrpcChannelFactory channels, GatewayProperties properties) {
        return BatchStoreGrpc.newStub(channels.createChannel(properties.registryTarget()));
    }
}
