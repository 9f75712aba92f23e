package dev.llmplatform.monitoring;

import java.nio.file.Path;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Renders docs/dashboards.md from the dashboards' JSON: per dashboard, each panel's row, title, queries
 * and unit. The JSON is the source; DashboardDocsTest fails when the committed file differs.
 */
public final class DashboardDocs {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private DashboardDocs() {
    }

    public static String render(MonitoringMetrics monitoring) {
        var out = new StringBuilder("""
                # Dashboards

                <!-- Generated from monitoring/grafana/dashboards/*.json by DashboardDocsTest (monitoring-tests); do not edit.
                     Regenerate: ./mvnw -B -q -pl monitoring-tests -am verify -Ddashboards.docs.write=true -->

                Grafana provisions these from `monitoring/grafana/dashboards/` (see monitoring/README.md); the metrics
                are described in [metrics.md](metrics.md). Queries use Grafana's `$__rate_interval`.
                """);
        // the overview first: it is what a person opens first
        var files = monitoring.dashboards().stream()
                .sorted(java.util.Comparator.comparing((Path f) -> !f.getFileName().toString().equals("platform-overview.json"))
                        .thenComparing(Path::getFileName))
                .toList();
        for (Path file : files) {
            JsonNode dashboard = JSON.readTree(file.toFile());
            out.append("\n## ").append(dashboard.path("title").asString()).append("\n\n");
            out.append("`").append(file.getFileName()).append("`, uid `").append(dashboard.path("uid").asString())
                    .append("`. ").append(dashboard.path("description").asString("")).append("\n\n");
            out.append("| Row | Panel | Query | Unit |\n|---|---|---|---|\n");
            String row = "";
            for (JsonNode panel : MonitoringMetrics.panels(dashboard)) {
                if ("row".equals(panel.path("type").asString())) {
                    row = panel.path("title").asString();
                    continue;
                }
                var queries = new StringBuilder();
                for (JsonNode target : panel.path("targets")) {
                    if (!queries.isEmpty()) {
                        queries.append("<br>");
                    }
                    queries.append('`').append(cell(oneLine(target.path("expr").asString()))).append('`');
                }
                out.append("| ").append(cell(row)).append(" | ").append(cell(panel.path("title").asString()))
                        .append(" | ").append(queries)
                        .append(" | ").append(cell(panel.path("fieldConfig").path("defaults").path("unit").asString("")))
                        .append(" |\n");
            }
        }
        return out.toString();
    }

    private static String oneLine(String expr) {
        return expr.strip().replaceAll("\\s+", " ");
    }

    private static String cell(String text) {
        return text.replace("|", "\\|");
    }
}
