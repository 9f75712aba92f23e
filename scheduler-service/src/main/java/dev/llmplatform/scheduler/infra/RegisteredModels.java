package dev.llmplatform.scheduler.infra;

import dev.llmplatform.commons.registry.RegistryWatch;
import dev.llmplatform.commons.registry.SavedRegistryState;
import dev.llmplatform.proto.v1.ModelEvent;
import dev.llmplatform.scheduler.config.RegistryFollowingProperties;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.grpc.client.GrpcChannelFactory;
import org.springframework.stereotype.Component;

/**
 * The models the registry has in production, as last heard (kept on disk across restarts, so a scheduler restarted
 * while the registry is down still knows them). A request for such a model that no worker serves right now (every
 * worker restarting, still loading) is answered UNAVAILABLE with a retry hint, which a client retries, not NOT_FOUND,
 * which it does not.
 */
@Component
public class RegisteredModels implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RegisteredModels.class);

    private final RegistryFollowingProperties properties;
    private final GrpcChannelFactory channels;
    private final Set<String> inProduction = ConcurrentHashMap.newKeySet();
    private volatile RegistryWatch watch;

    @Autowired
    public RegisteredModels(RegistryFollowingProperties properties, GrpcChannelFactory channels) {
        this.properties = properties;
        this.channels = channels;
    }

    /** Knows no model and follows no registry (tests of other parts). */
    public static RegisteredModels none() {
        return new RegisteredModels(new RegistryFollowingProperties("", java.time.Duration.ofSeconds(2), null), null);
    }

    @EventListener(ApplicationReadyEvent.class)
    public void follow() {
        if (properties.target().isBlank()) {
            return;
        }
        watch = RegistryWatch.start(channels.createChannel(properties.target()), properties.retryInterval(),
                Optional.ofNullable(properties.stateFile()).map(SavedRegistryState::new), this::onModelEvent,
                reason -> log.debug("Registry watch not open: {}", reason), "registered-models");
    }

    /** The watch's handler: each event is a model's whole state after a change. */
    public void onModelEvent(ModelEvent event) {
        if (event.hasModel() && event.getModel().getArtifactsCount() > 0) {
            inProduction.add(event.getModelId());
        } else {
            inProduction.remove(event.getModelId());
        }
    }

    /** Whether the registry, as last heard, has a production version of the model. */
    public boolean inProduction(String model) {
        return inProduction.contains(model);
    }

    @Override
    public void close() {
        RegistryWatch current = watch;
        if (current != null) {
            current.close();
        }
    }
}
