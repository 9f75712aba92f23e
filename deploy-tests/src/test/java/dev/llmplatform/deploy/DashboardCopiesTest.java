package dev.llmplatform.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The chart can only package files inside itself, so it keeps copies of monitoring/grafana/dashboards in
 * helm/llm-platform/dashboards. They must stay equal: after editing a dashboard, copy it
 * (cp monitoring/grafana/dashboards/*.json helm/llm-platform/dashboards/).
 */
class DashboardCopiesTest {

    private static final Path SOURCE = ChartFixture.REPOSITORY.resolve("monitoring/grafana/dashboards");
    private static final Path COPIES = ChartFixture.CHART.resolve("dashboards");

    @Test
    void theChartCarriesEveryDashboardUnchanged() throws IOException {
        List<String> sources = jsonFiles(SOURCE);
        assertThat(sources).isNotEmpty();
        assertThat(jsonFiles(COPIES)).as("dashboards in the chart").isEqualTo(sources);
        for (String name : sources) {
            assertThat(Files.readString(COPIES.resolve(name)))
                    .as("helm/llm-platform/dashboards/%s differs from monitoring/grafana/dashboards/%s; copy it", name, name)
                    .isEqualTo(Files.readString(SOURCE.resolve(name)));
        }
    }

    @Test
    void everyDashboardBecomesALabelledConfigMap() throws IOException {
        var rendered = ChartFixture.render();
        for (String name : jsonFiles(SOURCE)) {
            var configMap = rendered.ofKind("ConfigMap").stream()
                    .filter(c -> Yamls.map(c, "data").containsKey(name)).findFirst().orElseThrow();
            assertThat(Yamls.map(configMap, "metadata.labels")).containsEntry("grafana_dashboard", "1");
            assertThat(Yamls.map(configMap, "data").get(name)).isEqualTo(Files.readString(SOURCE.resolve(name)).strip());
        }
    }

    private static List<String> jsonFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".json")).sorted().toList();
        }
    }
}
