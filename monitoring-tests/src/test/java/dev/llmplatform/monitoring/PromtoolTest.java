package dev.llmplatform.monitoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Prometheus's own checker on our configuration and rules, and the rules' unit tests
 * (monitoring/prometheus/tests). Without promtool these skip, unless REQUIRE_PROMTOOL=true (CI), where they fail.
 */
class PromtoolTest {

    private static final Path PROMETHEUS = Repository.ROOT.resolve("monitoring/prometheus");
    private static Path promtool;

    @BeforeAll
    static void findPromtool() {
        Optional<Path> found = onPath("promtool");
        if (found.isEmpty()) {
            String message = "promtool is not installed (Debian: apt-get install prometheus); .ci/run installs it";
            if ("true".equalsIgnoreCase(System.getenv("REQUIRE_PROMTOOL"))) {
                fail(message + ", and REQUIRE_PROMTOOL=true");
            }
            Assumptions.abort(message + ": skipping the promtool checks");
        }
        promtool = found.get();
    }

    @Test
    void theScrapeConfigurationIsValidAndLoadsTheRules() throws Exception {
        String out = run("check", "config", PROMETHEUS.resolve("prometheus.yml").toString());

        assertThat(out).contains("SUCCESS").contains("rule files found");
    }

    @Test
    void everyRuleFileIsValid() throws Exception {
        List<String> args = new ArrayList<>(List.of("check", "rules"));
        new MonitoringMetrics(Repository.ROOT).ruleFiles().forEach(f -> args.add(f.toString()));

        assertThat(run(args.toArray(String[]::new))).contains("SUCCESS");
    }

    @Test
    void theAlertRulesPassTheirUnitTests() throws Exception {
        assertThat(run("test", "rules", PROMETHEUS.resolve("tests/platform-alerts.test.yml").toString())).contains("SUCCESS");
    }

    @Test
    void everyAlertHasAUnitTestWhereItFires() throws Exception {
        String tests = Files.readString(PROMETHEUS.resolve("tests/platform-alerts.test.yml"));
        var monitoring = new MonitoringMetrics(Repository.ROOT);
        for (var rule : monitoring.rules()) {
            if (rule.get("alert") instanceof String alert) {
                assertThat(tests).as("a promtool test of " + alert).containsPattern(
                        "alertname: " + alert + "\\s*\\n\\s*exp_alerts:\\s*\\n\\s*- exp_labels");
            }
        }
    }

    private static String run(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(promtool.toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).directory(PROMETHEUS.toFile()).redirectErrorStream(true).start();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail("promtool did not finish in 60 s: " + command);
        }
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.exitValue()).as(String.join(" ", command) + "\n" + out).isZero();
        return out;
    }

    private static Optional<Path> onPath(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path candidate = Path.of(dir, name);
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }
}
