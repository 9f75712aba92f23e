package dev.llmplatform.registry.config;

import dev.llmplatform.registry.infra.ModelChangeFeed;
import dev.llmplatform.registry.infra.ModelStore;
import dev.llmplatform.registry.infra.QuantizeJobStore;
import dev.llmplatform.registry.infra.artifacts.ArtifactStore;
import dev.llmplatform.registry.infra.quantize.EvaluationTexts;
import dev.llmplatform.registry.infra.quantize.VariantMeasurer;
import dev.llmplatform.registry.infra.quantize.VariantMetrics;
import dev.llmplatform.registry.infra.quantize.VariantQuantizer;
import dev.llmplatform.registry.infra.quantize.WorkerArtifactClient;
import dev.llmplatform.registry.infra.quantize.WorkerJobs;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.EventListener;
import org.springframework.grpc.client.GrpcChannelFactory;

/**
 * Quantizing and measuring variants on a worker (registry.quantizer). The channel to the worker is made like every
 * internal one (mutual TLS as model-registry when platform.security is on) and connects only when first used.
 */
@Configuration(proxyBeanMethods = false)
class QuantizerConfiguration {

    @Bean(destroyMethod = "close")
    WorkerJobs workerJobs(RegistryProperties properties) {
        return new WorkerJobs(properties.quantizer().startDelay());
    }

    @Bean
    WorkerArtifactClient workerArtifactClient(RegistryProperties properties, GrpcChannelFactory channels) {
        return new WorkerArtifactClient(channels.createChannel(properties.quantizer().target()), properties.quantizer().workerWait());
    }

    @Bean
    VariantMeasurer variantMeasurer(ModelStore store, ModelChangeFeed feed, WorkerArtifactClient worker, RegistryProperties properties,
                                    WorkerJobs jobs) {
        return new VariantMeasurer(store, feed, worker, new EvaluationTexts(properties.quantizer().texts()), properties.quantizer(), jobs);
    }

    @Bean
    VariantQuantizer variantQuantizer(ModelStore store, QuantizeJobStore jobStore, ArtifactStore artifacts, ModelChangeFeed feed,
                                      WorkerArtifactClient worker, VariantMeasurer measurer, WorkerJobs jobs, RegistryProperties properties) {
        return new VariantQuantizer(store, jobStore, artifacts, feed, worker, measurer, jobs, properties);
    }

    @Bean(destroyMethod = "close")
    VariantMetrics variantMetrics(MeterRegistry meters, ModelChangeFeed feed) {
        return new VariantMetrics(meters, feed);
    }

    /** After seeding (an ApplicationRunner): fail what a previous run left unfinished, then request what is missing. */
    @EventListener(ApplicationReadyEvent.class)
    void start(ApplicationReadyEvent ready) {
        ready.getApplicationContext().getBean(VariantMetrics.class).start();
        ready.getApplicationContext().getBean(VariantQuantizer.class).start();
    }
}
