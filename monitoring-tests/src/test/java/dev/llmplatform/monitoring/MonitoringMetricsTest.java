package dev.llmplatform.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MonitoringMetricsTest {

    @TempDir
    Path root;

    @Test
    void collectsNamesFromPanelsRowPanelsVariablesAndRulesButNotRecordedOnes() throws IOException {
        Files.createDirectories(root.resolve("monitoring/grafana/dashboards"));
        Files.createDirectories(root.resolve("monitoring/prometheus/rules"));
        Files.writeString(root.resolve("monitoring/grafana/dashboards/a.json"), """
                {"title": "A",
                 "templating": {"list": [{"name": "app", "type": "query",
                                          "query": {"query": "label_values(process_uptime_seconds, application)"}}]},
                 "panels": [
                   {"type": "row", "title": "collapsed", "panels": [
                     {"type": "timeseries", "title": "inner", "targets": [{"expr": "rate(inner_total[5m])"}]}]},
                   {"type": "timeseries", "title": "p95",
                    "targets": [{"expr": "histogram_quantile(0.95, sum by (le) (rate(lat_seconds_bucket[5m])))"},
                                {"expr": "model:lat_seconds:p95"}]}]}""");
        Files.writeString(root.resolve("monitoring/prometheus/rules/r.yml"), """
                groups:
                  - name: g
                    rules:
                      - record: model:lat_seconds:p95
                        expr: histogram_quantile(0.95, sum by (le, model) (rate(lat_seconds_bucket[5m])))
                      - alert: Slow
                        expr: model:lat_seconds:p95 > 1 and up == 1
                """);

        var used = new MonitoringMetrics(root).usedNames();

        assertThat(used.keySet()).containsExactly("inner_total", "lat_seconds_bucket", "process_uptime_seconds");
        assertThat(used.get("lat_seconds_bucket")).containsExactly("a.json / p95", "r.yml / record model:lat_seconds:p95");
    }

    @Test
    void readsSampleNamesOfAnExposition() {
        String exposition = """
                # HELP x_total things
                # TYPE x_total counter
                x_total{a="b c"} 1.0
                y_seconds_bucket{le="+Inf"} 2
                z 3
                """;

        assertThat(MonitoringMetrics.exposedNames(exposition)).containsExactly("x_total", "y_seconds_bucket", "z");
    }

    @Test
    void reportsEveryMissingNameWithWhereItIsUsed() throws IOException {
        Files.createDirectories(root.resolve("monitoring/grafana/dashboards"));
        Files.createDirectories(root.resolve("monitoring/prometheus/rules"));
        Files.writeString(root.resolve("monitoring/grafana/dashboards/a.json"), """
                {"title": "A", "panels": [{"type": "stat", "title": "s", "targets": [{"expr": "a_total + b_total + c_total"}]}]}""");

        var missing = new MonitoringMetrics(root).missingFrom(Set.of("a_total"), Set.of("c_total"));

        assertThat(missing).containsOnlyKeys("b_total");
        assertThat(missing.get("b_total")).containsExactly("a.json / s");
    }

    @Test
    void grafanaVariableQueriesGiveTheirSelectorOnly() {
        assertThat(MonitoringMetrics.variableSelector("label_values(process_uptime_seconds{job=\"x\"}, application)"))
                .isEqualTo("process_uptime_seconds{job=\"x\"}");
        assertThat(MonitoringMetrics.variableSelector("query_result(sum by (pool) (scheduler_workers_ready))"))
                .isEqualTo("sum by (pool) (scheduler_workers_ready)");
        assertThat(MonitoringMetrics.variableSelector("label_values(application)")).isEmpty();
    }

    @Test
    void familiesDropHistogramSuffixes() {
        assertThat(MonitoringMetrics.family("gateway_time_to_first_token_seconds_bucket")).isEqualTo("gateway_time_to_first_token_seconds");
        assertThat(MonitoringMetrics.family("worker_batch_size_sum")).isEqualTo("worker_batch_size");
        assertThat(MonitoringMetrics.family("gateway_requests_total")).isEqualTo("gateway_requests_total");
    }
}
