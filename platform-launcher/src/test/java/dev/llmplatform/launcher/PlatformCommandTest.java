package dev.llmplatform.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ./platform's wiring of the services and what ./platform scale refuses or cleans up, without starting a JVM. */
class PlatformCommandTest {

    @TempDir
    Path root;

    @Test
    void eachServiceIsToldWhereTheOthersOfItsTableListenAndTheSchedulerWhereTheReplicaFilesAre() {
        Path state = root.resolve("state");
        var table = List.of(LocalService.named("model-registry").on(new Ports(101, 201, 301)),
                LocalService.named("tokenizer-service").on(new Ports(102, 202, 302)),
                LocalService.named("inference-cpu-service").on(new Ports(103, 203, 303)),
                LocalService.named("scheduler-service").on(new Ports(105, 205, 305)));
        var command = new PlatformCommand(root, state, table);

        assertThat(command.launchOf(table.get(1)).args()).containsExactly("--tokenizer.registry-target=static://127.0.0.1:201");
        assertThat(command.launchOf(table.get(2)).args()).containsExactly("--worker.registry-target=static://127.0.0.1:201");
        assertThat(command.launchOf(table.get(3)).args()).containsExactly(
                "--scheduler.tokenizer-target=static://127.0.0.1:202", "--scheduler.registry.target=static://127.0.0.1:201",
                "--scheduler.workers[0].id=cpu-0", "--scheduler.workers[0].target=static://127.0.0.1:203",
                "--scheduler.workers[0].pool=cpu", "--scheduler.workers[0].profile=cpu",
                "--scheduler.discovery.local.directory=" + state.resolve("replicas"));
    }

    @Test
    void theRegistryQuantizesAndMeasuresOnTheTablesCpuWorker() {
        var table = List.of(LocalService.named("model-registry").on(new Ports(101, 201, 301)),
                LocalService.named("inference-cpu-service").on(new Ports(103, 203, 303)));
        var command = new PlatformCommand(root, root.resolve("state"), table);

        assertThat(command.launchOf(table.get(0)).args()).contains("--registry.quantizer.target=static://127.0.0.1:203");
    }

    @Test
    void onTheFixedTableTheSchedulerKnowsBothWorkersAtTheirFixedPorts() {
        var command = new PlatformCommand(root);

        assertThat(command.launchOf(LocalService.named("scheduler-service")).args()).contains(
                "--scheduler.workers[0].target=static://127.0.0.1:9093", "--scheduler.workers[1].id=gpu-0",
                "--scheduler.workers[1].target=static://127.0.0.1:9094",
                "--scheduler.discovery.local.directory=" + root.resolve(".platform/replicas"));
        assertThat(command.launchOf(LocalService.named("gateway")).args())
                .contains("--gateway.scheduler-target=static://127.0.0.1:9095", "--gateway.registry-target=static://127.0.0.1:9091");
    }

    @Test
    void onlyTheWorkersScaleAndToAtLeastOneReplica() throws Exception {
        var command = new PlatformCommand(root);

        assertThat(command.scale("scheduler-service", "2")).isEqualTo(2);
        assertThat(command.scale("gateway", "3")).isEqualTo(2);
        assertThat(command.scale("inference-cpu-service", "0")).isEqualTo(2);
        assertThat(command.scale("inference-cpu-service", "two")).isEqualTo(2);
        // replica 1 is the instance of ./platform up: no replicas without it
        assertThat(command.scale("inference-cpu-service", "2")).isEqualTo(1);
        assertThat(root.resolve(".platform/pids/inference-cpu-service-2.pid")).doesNotExist();
    }

    @Test
    void aReplicaWhoseProcessIsGoneIsNotRunningAndItsFilesAreRemoved() throws Exception {
        var command = new PlatformCommand(root);
        Path pids = Files.createDirectories(root.resolve(".platform/pids"));
        Path replicas = Files.createDirectories(root.resolve(".platform/replicas"));
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        Files.writeString(pids.resolve("inference-cpu-service-2.pid"), gone.pid() + "\n");
        Files.writeString(replicas.resolve("inference-cpu-service-2.properties"), "id=cpu-2\ntarget=static://127.0.0.1:1\n");
        Files.writeString(replicas.resolve("inference-cpu-service-3.properties"), "id=cpu-3\ntarget=static://127.0.0.1:1\n");

        assertThat(command.replicaNumbers("inference-cpu-service")).isEmpty();

        assertThat(pids.resolve("inference-cpu-service-2.pid")).doesNotExist();
        assertThat(replicas.resolve("inference-cpu-service-2.properties")).doesNotExist();
        assertThat(replicas.resolve("inference-cpu-service-3.properties")).doesNotExist();
    }
}
