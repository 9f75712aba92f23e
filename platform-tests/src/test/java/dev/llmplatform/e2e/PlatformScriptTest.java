package dev.llmplatform.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.llmplatform.launcher.LocalService;
import dev.llmplatform.launcher.PlatformCommand;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * README's first command, as a user runs it: {@code ./platform up} starts every service, the chat API answers with
 * the key it wrote, nothing listens beyond loopback, and the admin API cannot be reached by spelling its path
 * differently. {@code ./platform down} stops it all. Skipped when something already holds the gateway's port (a
 * developer's own platform).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 12, unit = TimeUnit.MINUTES)
class PlatformScriptTest {

    private final Path root = Path.of(System.getProperty("platform.root", "..")).toAbsolutePath().normalize();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private boolean started;

    @BeforeAll
    void platformUp() throws Exception {
        assumeFalse(listening(8080), "something already listens on 127.0.0.1:8080 (a running platform?); ./platform up is not tried");
        String output = run(Duration.ofMinutes(8), "up");
        started = true;
        assertThat(output).contains("The platform is up");
    }

    @AfterAll
    void platformDown() throws Exception {
        if (started) {
            run(Duration.ofMinutes(2), "down");
        }
    }

    @Test
    void nothingListensBeyondLoopback() throws IOException {
        List<ProcessHandle> services = new ArrayList<>();
        try (var pids = Files.list(root.resolve(".platform/pids"))) {
            for (Path pid : pids.toList()) {
                ProcessHandle.of(Long.parseLong(Files.readString(pid).strip())).ifPresent(services::add);
            }
        }
        assertThat(services).hasSize(6);
        var sockets = ListeningSockets.of(services);
        assertThat(sockets).extracting(InetSocketAddress::getPort)
                .contains(8080, 8081, 8082, 8083, 8084, 8085, 8180, 8185, 9091, 9092, 9093, 9094, 9095);
        assertThat(sockets).allSatisfy(socket -> assertThat(socket.getAddress().isLoopbackAddress()).as("listening on " + socket).isTrue());
    }

    /**
     * ./platform, the end-to-end tests (LocalPlatform) and the serving benchmark start the services with one launcher:
     * the command line of every JVM that ./platform up left running is the one the launcher builds for that service.
     */
    @Test
    void startsEveryServiceWithTheLaunchersCommandLine() throws IOException {
        var platform = new PlatformCommand(root);
        for (LocalService service : LocalService.ALL) {
            long pid = platform.runningPid(service.name()).orElseThrow().pid();
            List<String> commandLine = List.of(Files.readString(Path.of("/proc/" + pid + "/cmdline")).split("\0"));

            assertThat(commandLine).as(service.name()).isEqualTo(platform.launcher().command(platform.launchOf(service)));
            assertThat(commandLine).as("C2 and the jar's AOT cache").noneMatch(o -> o.startsWith("-XX:TieredStopAtLevel"))
                    .anyMatch(o -> o.startsWith("-XX:AOTCache="));
        }
    }

    @Test
    void servesAChatCompletionWithTheKeyItWrote() throws Exception {
        var response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:8080/v1/chat/completions"))
                .timeout(Duration.ofSeconds(120))
                .header("Authorization", "Bearer " + keys().get("API_KEY")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("""
                        {"model":"tiny-kjv-chat","max_tokens":8,"messages":[{"role":"user","content":"Recite Genesis 1:1"}]}"""))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("\"finish_reason\"");
    }

    @Test
    void theAdminApiNeedsTheAdminKeyHoweverItsPathIsSpelled() throws Exception {
        for (String path : List.of("/admin/models", "/%61dmin/models", "/adm%69n/models", "/admin;/models", "/admin;x=y/models")) {
            var withApiKey = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:8080" + path))
                    .timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + keys().get("API_KEY")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(withApiKey.statusCode()).as(path).isIn(400, 403);
        }
        var withAdminKey = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:8080/admin/models"))
                .timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + keys().get("ADMIN_KEY")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(withAdminKey.statusCode()).isEqualTo(200);
        assertThat(withAdminKey.body()).contains("tiny-kjv-chat");
    }

    private Map<String, String> keys() throws IOException {
        return Files.readAllLines(root.resolve(".platform/keys.env")).stream().filter(l -> l.contains("="))
                .collect(Collectors.toMap(l -> l.substring(0, l.indexOf('=')), l -> l.substring(l.indexOf('=') + 1)));
    }

    private String run(Duration timeout, String command) throws IOException, InterruptedException {
        Path log = Files.createTempFile("platform-" + command, ".log");
        Process process = new ProcessBuilder(root.resolve("platform").toString(), command).directory(root.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!process.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("./platform " + command + " took longer than " + timeout + ":\n" + Files.readString(log));
        }
        String output = Files.readString(log);
        assertThat(process.exitValue()).as("./platform " + command + ":\n" + output).isZero();
        return output;
    }

    private static boolean listening(int port) {
        try (var socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException nothing) {
            return false;
        }
    }
}
