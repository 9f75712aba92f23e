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
import org.junit.jupiter.api.io.TempDir;

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

    /**
     * promtool checks that a scrape's client certificate and key exist; they are issued at start (the compose service
     * "certs" into /etc/prometheus/certs), so the check runs on a copy beside empty stand-ins of those files.
     */
    @Test
    void theScrapeConfigurationIsValidAndLoadsTheRules(@TempDir Path dir) throws Exception {
        Files.copy(PROMETHEUS.resolve("prometheus.yml"), dir.resolve("prometheus.yml"));
        Files.createDirectories(dir.resolve("rules"));
        try (var rules = Files.list(PROMETHEUS.resolve("rules"))) {
            for (Path rule : rules.toList()) {
                Files.copy(rule, dir.resolve("rules").resolve(rule.getFileName()));
            }
        }
        Files.createDirectories(dir.resolve("certs"));
        for (String file : List.of("ca.crt", "prometheus.crt", "prometheus.key")) {
            Files.createFile(dir.resolve("certs").resolve(file));
        }
        String out = run("check", "config", dir.resolve("prometheus.yml").toString());

        assertThat(out).contains("SUCCESS").contains("rule files found");
    }

    @Test
    void thePlatformIsScrapedOverHttpsWithThePrometheusCertificate() throws Exception {
        String config = Files.readString(PROMETHEUS.resolve("prometheus.yml"));
        assertThat(config).contains("scheme: https").contains("cert_file: certs/prometheus.crt")
                .contains("key_file: certs/prometheus.key").contains("ca_file: certs/ca.crt");
        for (String target : List.of("gateway:8180", "model-registry:8181", "tokenizer-service:8182",
                "inference-cpu-service:8183", "inference-gpu-service:8184", "scheduler-service:8185")) {
            assertThat(config).as("management port target " + target).contains("\"" + target + "\"");
        }
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
