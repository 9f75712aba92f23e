package dev.llmplatform.tokenizer.infra;

import dev.llmplatform.commons.registry.RegistryModels;
import dev.llmplatform.proto.v1.DeviceClass;
import dev.llmplatform.proto.v1.Model;
import dev.llmplatform.tokenizer.config.TokenizerProperties;
import dev.llmplatform.tokenizer.domain.Tokenizers;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.grpc.client.GrpcChannelFactory;
import org.springframework.stereotype.Component;

/** Loads the tokenizer of every registered GGUF model at start; readiness ("tokenizers" indicator) waits for one. */
@Component
public class TokenizerLoader {

    private static final Logger log = LoggerFactory.getLogger(TokenizerLoader.class);

    private final TokenizerProperties properties;
    private final Tokenizers tokenizers;
    private final GrpcChannelFactory channels;

    public TokenizerLoader(TokenizerProperties properties, Tokenizers tokenizers, GrpcChannelFactory channels) {
        this.properties = properties;
        this.tokenizers = tokenizers;
        this.channels = channels;
    }

    @EventListener(ApplicationReadyEvent.class)
    public void loadInBackground() {
        Thread.ofVirtual().name("tokenizer-loader").start(this::loadFromRegistry);
    }

    private void loadFromRegistry() {
        try {
            var channel = channels.createChannel(properties.registryTarget());
            while (tokenizers.isEmpty()) {
                for (Model model : RegistryModels.await(channel, properties.loadRetryInterval(),
                        reason -> log.info("Waiting for the registry: {}", reason))) {
                    // Every variant of a model shares its vocabulary; the CPU file is the smallest to open.
                    RegistryModels.gguf(model, DeviceClass.DEVICE_CLASS_CPU)
                            .or(() -> RegistryModels.gguf(model, DeviceClass.DEVICE_CLASS_GPU))
                            .ifPresent(artifact -> {
                                try {
                                    tokenizers.put(new LlamaCppTokenizer(model.getId(), RegistryModels.localFile(artifact)));
                                    log.info("Loaded tokenizer of {}", model.getId());
                                } catch (IOException | RuntimeException e) {
                                    log.error("Cannot load the tokenizer of {}: {}", model.getId(), e.getMessage());
                                }
                            });
                }
                if (tokenizers.isEmpty()) {
                    Thread.sleep(properties.loadRetryInterval());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
