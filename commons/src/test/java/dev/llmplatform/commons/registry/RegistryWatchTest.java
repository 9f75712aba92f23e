package dev.llmplatform.commons.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmplatform.proto.v1.Model;
import dev.llmplatform.proto.v1.ModelChangeKind;
import dev.llmplatform.proto.v1.ModelEvent;
import dev.llmplatform.proto.v1.ModelRegistryGrpc;
import dev.llmplatform.proto.v1.WatchModelsRequest;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegistryWatchTest {

    @TempDir
    Path dir;

    private final String name = InProcessServerBuilder.generateName();
    private final ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    private final BlockingQueue<ModelEvent> heard = new LinkedBlockingQueue<>();
    private Server registry;
    private RegistryWatch watch;

    @AfterEach
    void stop() throws InterruptedException {
        if (watch != null) {
            watch.close();
        }
        if (registry != null) {
            registry.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        channel.shutdownNow();
    }

    @Test
    void whileTheRegistryIsOutOfReachTheSavedStateIsHeardOnceAsASnapshot() throws Exception {
        var saved = new SavedRegistryState(dir.resolve("state/registry.binpb"));
        saved.write(List.of(model("chat-a"), model("chat-b")));

        watch = RegistryWatch.start(channel, Duration.ofMillis(50), Optional.of(saved), heard::add, reason -> { }, "watch");

        assertThat(List.of(next(), next())).extracting(ModelEvent::getModelId).containsExactly("chat-a", "chat-b");
        assertThat(heard.poll(300, TimeUnit.MILLISECONDS)).as("replayed once, not at every retry").isNull();
    }

    @Test
    void modelsDeletedWhileTheStreamWasDownAreReportedDeletedAndTheSavedStateFollowsTheRegistry() throws Exception {
        var saved = new SavedRegistryState(dir.resolve("registry.binpb"));
        saved.write(List.of(model("kept"), model("deleted-meanwhile")));
        watch = RegistryWatch.start(channel, Duration.ofMillis(50), Optional.of(saved), heard::add, reason -> { }, "watch");
        next();
        next();

        registry = InProcessServerBuilder.forName(name).directExecutor()
                .addService(registryStreaming(snapshot("kept"), snapshot("new"), end())).build().start();

        List<ModelEvent> events = List.of(next(), next(), next());
        assertThat(events).extracting(ModelEvent::getModelId).containsExactly("kept", "new", "deleted-meanwhile");
        assertThat(events.get(2).getKind()).isEqualTo(ModelChangeKind.MODEL_CHANGE_KIND_DELETED);
        assertThat(events.get(2).hasModel()).isFalse();
        // saved after the deletion was delivered: wait for the file to change (the old one also held two models)
        for (int i = 0; i < 250 && !saved.read().stream().map(Model::getId).toList().equals(List.of("kept", "new")); i++) {
            Thread.sleep(20);
        }
        assertThat(saved.read()).extracting(Model::getId).containsExactly("kept", "new");
    }

    @Test
    void withoutASavedStateNothingIsHeardUntilTheRegistryAnswers() throws Exception {
        watch = RegistryWatch.start(channel, Duration.ofMillis(50), Optional.of(new SavedRegistryState(dir.resolve("none.binpb"))),
                heard::add, reason -> { }, "watch");
        assertThat(heard.poll(200, TimeUnit.MILLISECONDS)).isNull();

        registry = InProcessServerBuilder.forName(name).directExecutor().addService(registryStreaming(snapshot("only"), end())).build().start();

        assertThat(next().getModelId()).isEqualTo("only");
    }

    private ModelEvent next() throws InterruptedException {
        ModelEvent event = heard.poll(10, TimeUnit.SECONDS);
        assertThat(event).as("an event within 10 s").isNotNull();
        return event;
    }

    private static Model model(String id) {
        return Model.newBuilder().setId(id).setProductionVersion("1").build();
    }

    private static ModelEvent snapshot(String id) {
        return ModelEvent.newBuilder().setModelId(id).setKind(ModelChangeKind.MODEL_CHANGE_KIND_SNAPSHOT).setModel(model(id)).build();
    }

    private static ModelEvent end() {
        return ModelEvent.newBuilder().setKind(ModelChangeKind.MODEL_CHANGE_KIND_SNAPSHOT_END).build();
    }

    /** A registry that sends these events and keeps the stream open. */
    private static ModelRegistryGrpc.ModelRegistryImplBase registryStreaming(ModelEvent... events) {
        return new ModelRegistryGrpc.ModelRegistryImplBase() {
            @Override
            public void watchModels(WatchModelsRequest request, StreamObserver<ModelEvent> responses) {
                for (ModelEvent event : events) {
                    responses.onNext(event);
                }
            }
        };
    }
}
