package dev.llmplatform.scheduler.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmplatform.scheduler.config.SchedulerProperties.Worker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.support.StaticListableBeanFactory;

/** The replica files that ./platform scale writes, as the scheduler reads them: one worker per complete file. */
class LocalWorkerDiscoveryTest {

    @TempDir
    Path replicas;

    private final List<List<Worker>> handedOn = new ArrayList<>();

    private LocalWorkerDiscovery discovery(Path directory) {
        var beans = new StaticListableBeanFactory();
        beans.addBean("membership", (WorkerMembership) handedOn::add);
        return new LocalWorkerDiscovery(new LocalWorkerDiscoveryProperties(directory.toString(), Duration.ofMillis(500)),
                beans.getBeanProvider(WorkerMembership.class));
    }

    @Test
    void eachReplicaFileIsOneWorkerAndTheWholeSetIsHandedOnSortedById() throws Exception {
        replica("inference-cpu-service-3", "id=cpu-3\ntarget=static://127.0.0.1:40003\npool=cpu\nprofile=cpu\n");
        replica("inference-cpu-service-2", "id=cpu-2\ntarget=static://127.0.0.1:40002\npool=cpu\nprofile=cpu\n");

        discovery(replicas).refresh();

        assertThat(handedOn).containsExactly(List.of(
                new Worker("cpu-2", "static://127.0.0.1:40002", "cpu", "cpu", ""),
                new Worker("cpu-3", "static://127.0.0.1:40003", "cpu", "cpu", "")));
    }

    @Test
    void aRemovedFileIsAReplicaScaledAwayAndAnUnchangedDirectoryHandsNothingOn() throws Exception {
        Path second = replica("inference-cpu-service-2", "id=cpu-2\ntarget=static://127.0.0.1:40002\n");
        replica("inference-gpu-service-2", "id=gpu-2\ntarget=static://127.0.0.1:40012\npool=gpu\n");
        var discovery = discovery(replicas);
        discovery.refresh();
        discovery.refresh();
        assertThat(handedOn).hasSize(1);

        Files.delete(second);
        discovery.refresh();

        assertThat(handedOn).hasSize(2);
        assertThat(handedOn.getLast()).containsExactly(new Worker("gpu-2", "static://127.0.0.1:40012", "gpu", "gpu", ""));
        assertThat(discovery.current()).isEqualTo(handedOn.getLast());
    }

    @Test
    void aFileStillBeingWrittenUnderItsTemporaryNameIsNotRead() throws Exception {
        Files.writeString(replicas.resolve("inference-cpu-service-2.properties.tmp"), "id=cpu-2\ntarget=static://127.0.0.1:4");
        var discovery = discovery(replicas);

        discovery.refresh();
        assertThat(discovery.current()).isEmpty();

        Files.writeString(replicas.resolve("inference-cpu-service-2.properties.tmp"), "id=cpu-2\ntarget=static://127.0.0.1:40002\n");
        Files.move(replicas.resolve("inference-cpu-service-2.properties.tmp"), replicas.resolve("inference-cpu-service-2.properties"),
                StandardCopyOption.ATOMIC_MOVE);
        discovery.refresh();
        assertThat(discovery.current()).extracting(Worker::id).containsExactly("cpu-2");
    }

    @Test
    void aFileWithoutIdOrTargetIsSkippedAndAMissingDirectoryIsNoReplicas() throws Exception {
        replica("broken", "pool=cpu\n");
        replica("inference-cpu-service-2", "id=cpu-2\ntarget=static://127.0.0.1:40002\n");
        var discovery = discovery(replicas);
        discovery.refresh();
        assertThat(discovery.current()).extracting(Worker::id).containsExactly("cpu-2");

        var none = discovery(replicas.resolve("not-yet-created"));
        none.refresh();
        assertThat(none.current()).isEmpty();
    }

    @Test
    void readsTheDirectoryAgainOnItsOwnOnceStarted() throws Exception {
        var discovery = discovery(replicas);
        discovery.start();
        try {
            replica("inference-cpu-service-2", "id=cpu-2\ntarget=static://127.0.0.1:40002\n");
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (discovery.current().isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(discovery.current()).extracting(Worker::id).containsExactly("cpu-2");
        } finally {
            discovery.stop();
        }
    }

    /** As the launcher writes one: under a temporary name, then renamed. */
    private Path replica(String name, String content) throws Exception {
        Path tmp = Files.writeString(replicas.resolve("." + name + ".tmp"), content);
        return Files.move(tmp, replicas.resolve(name + ".properties"), StandardCopyOption.ATOMIC_MOVE);
    }
}
