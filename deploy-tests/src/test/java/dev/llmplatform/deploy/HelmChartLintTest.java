package dev.llmplatform.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The chart passes `helm lint --strict` and renders, with its defaults and with every example values file. */
class HelmChartLintTest {

    static Stream<Path> exampleValues() {
        return ChartFixture.exampleValues().stream();
    }

    @Test
    void theExamplesCoverALaptopACpuClusterAndAGpuClusterWithAutoscaling() {
        assertThat(ChartFixture.exampleValues()).map(p -> p.getFileName().toString())
                .contains("laptop-values.yaml", "cpu-cluster-values.yaml", "gpu-cluster-values.yaml");
    }

    @Test
    void defaultsLintStrictly() {
        var result = ChartFixture.lintStrict(null);
        assertThat(result.isFailed()).as("lint messages: %s", result.getMessages()).isFalse();
        assertThat(result.getMessages()).noneMatch(m -> m.contains("[WARNING]") || m.contains("[ERROR]"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("exampleValues")
    void exampleLintsStrictly(Path values) {
        var result = ChartFixture.lintStrict(values);
        assertThat(result.isFailed()).as("lint messages: %s", result.getMessages()).isFalse();
        assertThat(result.getMessages()).noneMatch(m -> m.contains("[WARNING]") || m.contains("[ERROR]"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("exampleValues")
    void exampleRendersEveryService(Path values) {
        var rendered = ChartFixture.render(values);
        for (String service : new String[] {"gateway", "scheduler-service", "tokenizer-service", "model-registry",
                "inference-cpu-service"}) {
            String name = ChartFixture.RELEASE + "-" + service;
            assertThat(rendered.has("Deployment", name)).as(name).isTrue();
            assertThat(rendered.has("Service", name)).as(name).isTrue();
            assertThat(rendered.has("ConfigMap", name)).as(name).isTrue();
        }
    }

    @Test
    void valuesOutsideTheSchemaAreRefused(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path bad = Files.writeString(dir.resolve("bad.yaml"), "autoscaling:\n  mode: sometimes\n");
        assertThatThrownBy(() -> ChartFixture.render(bad)).hasMessageContaining("/autoscaling/mode");

        Path typo = Files.writeString(dir.resolve("typo.yaml"), "gpuWorker:\n  gpu: 2\n");
        assertThatThrownBy(() -> ChartFixture.render(typo)).hasMessageContaining("gpu");
    }

    @Test
    void aGracePeriodShorterThanTheDrainIsRefused(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path values = Files.writeString(dir.resolve("short.yaml"), """
                cpuWorker:
                  shutdown:
                    shutdownTimeoutSeconds: 120
                    terminationGracePeriodSeconds: 60
                """);
        assertThatThrownBy(() -> ChartFixture.render(values))
                .hasMessageContaining("terminationGracePeriodSeconds (60) must be at least");
    }

    @Test
    void s3ArtifactsNeedABucket(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path values = Files.writeString(dir.resolve("s3.yaml"), "modelRegistry:\n  artifacts:\n    store: s3\n");
        assertThatThrownBy(() -> ChartFixture.render(values)).hasMessageContaining("s3.bucket is required");
    }
}
