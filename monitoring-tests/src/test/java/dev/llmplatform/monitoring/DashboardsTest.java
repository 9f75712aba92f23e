package dev.llmplatform.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The Grafana dashboards are complete, well-formed and provisioned from the data source they name. */
class DashboardsTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final MonitoringMetrics monitoring = new MonitoringMetrics(Repository.ROOT);

    @Test
    void thereIsADashboardPerServiceAndAPlatformOverview() {
        assertThat(monitoring.dashboards()).extracting(p -> p.getFileName().toString()).containsExactlyInAnyOrder(
                "platform-overview.json", "gateway.json", "scheduler.json", "workers.json", "tokenizer.json", "registry.json");
    }

    @Test
    void theOverviewShowsWhatAPersonLooksAtFirst() {
        JsonNode overview = read(monitoring.dashboardsDir().resolve("platform-overview.json"));
        String queries = MonitoringMetrics.panels(overview).stream()
                .flatMap(p -> p.path("targets").valueStream()).map(t -> t.path("expr").asString()).reduce("", String::concat);

        assertThat(queries).contains("gateway_requests_total", "status=~\"5..\"", "gateway_time_to_first_token_seconds_bucket",
                "gateway_time_per_output_token_seconds_bucket", "gateway_tokens_total", "scheduler_queue_depth",
                "scheduler_workers_ready", "scheduler_energy_per_token_joules", "resilience4j_circuitbreaker_state");
        assertThat(queries).contains("histogram_quantile(0.5,", "histogram_quantile(0.95,");
    }

    @Test
    void everyPanelQueriesThePrometheusDataSourceAndHasAUnit() {
        Set<String> uids = new HashSet<>();
        for (Path file : monitoring.dashboards()) {
            JsonNode dashboard = read(file);
            assertThat(uids.add(dashboard.path("uid").asString())).as("unique uid in " + file).isTrue();
            assertThat(dashboard.path("title").asString()).as("title of " + file).isNotBlank();
            Set<Integer> ids = new HashSet<>();
            for (JsonNode panel : MonitoringMetrics.panels(dashboard)) {
                String where = file.getFileName() + " / " + panel.path("title").asString();
                assertThat(ids.add(panel.path("id").asInt())).as("unique panel id: " + where).isTrue();
                JsonNode grid = panel.path("gridPos");
                assertThat(grid.path("x").asInt() + grid.path("w").asInt()).as("fits the 24 columns: " + where).isLessThanOrEqualTo(24);
                if ("row".equals(panel.path("type").asString())) {
                    continue;
                }
                assertThat(panel.path("datasource").path("uid").asString()).as(where).isEqualTo("prometheus");
                assertThat(panel.path("fieldConfig").path("defaults").path("unit").asString("")).as("unit of " + where).isNotBlank();
                assertThat(panel.path("targets").isEmpty()).as("queries of " + where).isFalse();
                for (JsonNode target : panel.path("targets")) {
                    assertThat(target.path("expr").asString("")).as("query of " + where).isNotBlank();
                    assertThat(PromQl.metricNames(target.path("expr").asString())).as("metrics of " + where).isNotEmpty();
                }
            }
        }
    }

    @Test
    void grafanaIsProvisionedWithThatDataSourceAndTheseDashboards() throws Exception {
        String datasource = Files.readString(Repository.ROOT.resolve("monitoring/grafana/provisioning/datasources/prometheus.yml"));
        String provider = Files.readString(Repository.ROOT.resolve("monitoring/grafana/provisioning/dashboards/llm-platform.yml"));
        String compose = Files.readString(Repository.ROOT.resolve("docker-compose.yml"));

        assertThat(datasource).contains("uid: prometheus").contains("url: http://prometheus:9090");
        assertThat(provider).contains("path: /etc/grafana/dashboards");
        assertThat(compose).contains("./monitoring/grafana/dashboards:/etc/grafana/dashboards:ro")
                .contains("./monitoring/grafana/provisioning:/etc/grafana/provisioning:ro");
    }

    @Test
    void everyMetricTheDashboardsAndAlertsUseIsDocumentedInDocsMetricsMd() throws Exception {
        String doc = Files.readString(Repository.ROOT.resolve("docs/metrics.md"));
        List<String> undocumented = monitoring.usedNames().keySet().stream()
                .filter(name -> !doc.contains("`" + name + "`") && !doc.contains("`" + MonitoringMetrics.family(name) + "`"))
                .toList();

        assertThat(undocumented).as("metric names used by monitoring/ but missing from docs/metrics.md").isEmpty();
    }

    private static JsonNode read(Path file) {
        return JSON.readTree(file.toFile());
    }
}
