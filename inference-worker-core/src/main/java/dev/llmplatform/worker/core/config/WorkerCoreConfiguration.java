package dev.llmplatform.worker.core.config;

import dev.llmplatform.commons.artifacts.ArtifactCache;
import dev.llmplatform.commons.artifacts.ArtifactCacheMetrics;
import dev.llmplatform.commons.artifacts.ArtifactCacheProperties;
import dev.llmplatform.worker.core.api.ArtifactTools;
import dev.llmplatform.worker.core.api.Embeddings;
import dev.llmplatform.worker.core.api.InferenceWorkerService;
import dev.llmplatform.worker.core.api.WorkerDrain;
import dev.llmplatform.worker.core.api.WorkerLoad;
import dev.llmplatform.worker.core.domain.LoadedModels;
import dev.llmplatform.worker.core.infra.ModelLoader;
import dev.llmplatform.worker.core.infra.WorkerDevice;
import dev.llmplatform.worker.core.infra.WorkerMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Optional;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.grpc.client.GrpcChannelFactory;

/**
 * The shared worker, wired once: a deployable imports this and adds its {@link WorkerDevice} (and, where it serves
 * them, {@link Embeddings}).
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties({WorkerProperties.class, ArtifactCacheProperties.class})
public class WorkerCoreConfiguration {

    /** Closing frees the models' memory (llama.cpp contexts, weights and KV caches). */
    @Bean(destroyMethod = "close")
    LoadedModels loadedModels() {
        return new LoadedModels();
    }

    @Bean
    WorkerMetrics workerMetrics(MeterRegistry meters, LoadedModels models) {
        return new WorkerMetrics(meters, models);
    }

    /** Where s3:// and https:// artifacts are fetched to; file: artifacts are read in place. */
    @Bean(destroyMethod = "close")
    ArtifactCache artifactCache(ArtifactCacheProperties properties, MeterRegistry meters) {
        return ArtifactCacheMetrics.bind(new ArtifactCache(properties), meters);
    }

    @Bean(destroyMethod = "close")
    ModelLoader modelLoader(WorkerProperties properties, WorkerDevice device, LoadedModels models, WorkerMetrics metrics,
                            GrpcChannelFactory channels, ArtifactCache cache) {
        return new ModelLoader(properties, device, models, metrics, channels, cache);
    }

    @Bean
    WorkerDrain workerDrain(WorkerProperties properties) {
        return new WorkerDrain(properties.drainTimeout());
    }

    @Bean
    WorkerLoad workerLoad(WorkerProperties properties, WorkerDevice device, LoadedModels models, ModelLoader loader,
                          List<Embeddings> embeddings, WorkerDrain drain) {
        return new WorkerLoad(properties, device, models, loader, embeddings, drain);
    }

    /** Quantizes and measures only what the registry lists, as ModelLoader finds and checks it. */
    @Bean(destroyMethod = "close")
    ArtifactTools artifactTools(WorkerProperties properties, WorkerDevice device, ModelLoader loader) {
        return new ArtifactTools(device, ref -> loader.registeredFile(ref.getModel(), ref.getUri(), ref.getSha256()),
                properties.threads());
    }

    @Bean
    InferenceWorkerService inferenceWorkerService(WorkerProperties properties, LoadedModels models, ModelLoader loader,
                                                  WorkerLoad load, WorkerMetrics metrics, List<Embeddings> embeddings,
                                                  WorkerDrain drain, ArtifactTools artifactTools) {
        return new InferenceWorkerService(properties, models, loader, load, metrics, embeddings, drain, Optional.of(artifactTools));
    }
}
