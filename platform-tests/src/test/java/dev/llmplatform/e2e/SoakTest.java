package dev.llmplatform.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmplatform.launcher.LocalPlatform;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import tools.jackson.databind.json.JsonMapper;

/**
 * A long run at moderate load (opt-in: {@code -Psoak}, 20 minutes unless {@code -Dsoak.duration=PT1M}): every
 * service JVM's heap in use and live threads are sampled from /actuator/metrics, and their growth from the first
 * quarter of the run to the last is reported (target/soak/soak.md and soak.csv). Steady state means no failed
 * requests, threads that do not grow, and heap that does not keep climbing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@EnabledIfSystemProperty(named = "soak.duration", matches = "P.+")
class SoakTest {

    private static final List<String> SERVICES = List.of("model-registry", "tokenizer-service", "inference-cpu-service",
            "scheduler-service", "gateway");
    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** Threads a service may gain over the run (pools warming up to their size), beyond which it is a leak. */
    private static final int THREAD_GROWTH_ALLOWED = 16;

    private final Duration duration = Duration.parse(System.getProperty("soak.duration", "PT20M"));
    private final Duration interval = Duration.parse(System.getProperty("soak.interval", "PT15S"));
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private LocalPlatform platform;

    record Sample(double secondsIn, String service, double heapUsedMiB, double threadsLive) {
    }

    record Growth(String service, double heapFirstQuarterMiB, double heapLastQuarterMiB, double heapMaxMiB,
                  double threadsFirst, double threadsLast, double threadsMax) {

        double heapGrowthRatio() {
            return heapLastQuarterMiB / heapFirstQuarterMiB;
        }
    }

    @BeforeAll
    void startPlatform() throws Exception {
        platform = new LocalPlatform("sk-soak-" + System.nanoTime()).start();
    }

    @AfterAll
    void stopPlatform() {
        if (platform != null) {
            platform.close();
        }
    }

    @Test
    void heapAndThreadsStaySteadyUnderModerateLoad() throws Exception {
        List<Sample> samples = new ArrayList<>();
        long start = System.nanoTime();
        long end = start + duration.toNanos();
        var load = new SteadyLoad(platform, 2, 32, 1_000_000, duration.plusMinutes(1)).start();
        try {
            while (System.nanoTime() < end) {
                double secondsIn = (System.nanoTime() - start) / 1e9;
                for (String service : SERVICES) {
                    samples.add(new Sample(secondsIn, service, metric(service, "jvm_memory_used_bytes", "area=\"heap\"") / (1024 * 1024),
                            metric(service, "jvm_threads_live_threads", null)));
                }
                Thread.sleep(Math.min(interval.toMillis(), Math.max(1, (end - System.nanoTime()) / 1_000_000)));
            }
        } finally {
            load.close();
        }
        SteadyLoad.Counts counts = load.counts(start, end);
        List<Growth> growth = SERVICES.stream().map(s -> growth(s, samples)).toList();
        String report = report(counts, growth);
        Path dir = Path.of("target/soak");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("soak.md"), report);
        Files.write(dir.resolve("soak.csv"), samples.stream().map(s -> String.format(Locale.ROOT, "%.1f,%s,%.1f,%.0f",
                s.secondsIn(), s.service(), s.heapUsedMiB(), s.threadsLive())).toList());
        System.out.println(report);

        assertThat(counts.errors()).as("errors of failed requests").isEmpty();
        assertThat(counts.total()).as("requests sent").isPositive();
        assertThat(growth).allSatisfy(g -> {
            assertThat(g.threadsLast() - g.threadsFirst()).as(g.service() + " thread growth").isLessThanOrEqualTo(THREAD_GROWTH_ALLOWED);
            // heap is sawtooth-shaped under a collector; only a climb of the quarter medians beyond 2x counts
            assertThat(g.heapGrowthRatio()).as(g.service() + " heap growth ratio").isLessThan(2.0);
        });
    }

    /** Sum of a metric's series on the service's /actuator/prometheus (management port) that carry {@code label}. */
    private double metric(String service, String name, String label) throws IOException, InterruptedException {
        var request = HttpRequest.newBuilder(platform.service(service).actuator("prometheus")).timeout(Duration.ofSeconds(5)).build();
        var response = http.send(request, HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(service + " " + name).isEqualTo(200);
        return response.body().lines()
                .filter(l -> l.startsWith(name + "{") || l.startsWith(name + " "))
                .filter(l -> label == null || l.contains(label))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    private static Growth growth(String service, List<Sample> all) {
        List<Sample> mine = all.stream().filter(s -> s.service().equals(service)).toList();
        int quarter = Math.max(1, mine.size() / 4);
        List<Sample> first = mine.subList(0, quarter);
        List<Sample> last = mine.subList(mine.size() - quarter, mine.size());
        return new Growth(service, median(first.stream().mapToDouble(Sample::heapUsedMiB).toArray()),
                median(last.stream().mapToDouble(Sample::heapUsedMiB).toArray()),
                mine.stream().mapToDouble(Sample::heapUsedMiB).max().orElseThrow(),
                mine.getFirst().threadsLive(), mine.getLast().threadsLive(),
                mine.stream().mapToDouble(Sample::threadsLive).max().orElseThrow());
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private String report(SteadyLoad.Counts counts, List<Growth> growth) {
        var md = new StringBuilder(String.format(Locale.ROOT, "# Soak: %s at 2 clients, sampled every %s%n%n"
                + "Requests: %d sent, %d failed%s%n%n", duration, interval, counts.total(), counts.failed(),
                counts.errors().isEmpty() ? "" : " " + counts.errors()));
        md.append("| service | heap MiB first-quarter median | last-quarter median | growth | max | threads first | last | max |\n")
                .append("|---|---|---|---|---|---|---|---|\n");
        for (Growth g : growth) {
            md.append(String.format(Locale.ROOT, "| %s | %.1f | %.1f | %.2fx | %.1f | %.0f | %.0f | %.0f |%n", g.service(),
                    g.heapFirstQuarterMiB(), g.heapLastQuarterMiB(), g.heapGrowthRatio(), g.heapMaxMiB(),
                    g.threadsFirst(), g.threadsLast(), g.threadsMax()));
        }
        return md.toString();
    }
}
