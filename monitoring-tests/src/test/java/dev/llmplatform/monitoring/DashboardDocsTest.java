package dev.llmplatform.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** docs/dashboards.md is generated from the dashboards' JSON and must match it. */
class DashboardDocsTest {

    private static final Path DOC = Repository.ROOT.resolve("docs/dashboards.md");

    @Test
    void docsDashboardsMdMatchesTheDashboardsJson() throws Exception {
        String rendered = DashboardDocs.render(new MonitoringMetrics(Repository.ROOT));
        if (Boolean.getBoolean("dashboards.docs.write")) {
            Files.writeString(DOC, rendered);
        }

        assertThat(Files.exists(DOC)).as(DOC + " exists").isTrue();
        assertThat(Files.readString(DOC))
                .as("docs/dashboards.md is out of date with monitoring/grafana/dashboards/*.json; regenerate it with "
                        + "./mvnw -B -q -pl monitoring-tests -am verify -Ddashboards.docs.write=true")
                .isEqualTo(rendered);
    }

    @Test
    void everyPanelOfEveryDashboardIsListed() {
        String rendered = DashboardDocs.render(new MonitoringMetrics(Repository.ROOT));
        var monitoring = new MonitoringMetrics(Repository.ROOT);

        long panels = monitoring.queries().stream().filter(q -> q.where().contains(".json / ")).map(q -> q.where()).distinct().count();
        long rows = rendered.lines().filter(l -> l.startsWith("| ") && !l.startsWith("| Row |")).count();
        assertThat(rows).isGreaterThanOrEqualTo(panels);
    }
}
