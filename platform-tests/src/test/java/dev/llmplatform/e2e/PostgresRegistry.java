package dev.llmplatform.e2e;

import dev.llmplatform.launcher.LocalPlatform;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The registry of a {@link LocalPlatform} moved onto the shared PostgreSQL server, in a schema of its own for the
 * run, and that server restarted under it. For the fault tests that run only with RESTART_POSTGRES=true (restarting
 * the shared server disturbs everyone using it). REGISTRY_TEST_DB_URL / REGISTRY_TEST_DB_USER /
 * REGISTRY_TEST_DB_PASSWORD override the server, as in model-registry's PostgreSQL tests; the server is restarted
 * with pg_ctlcluster, so it has to be a local Debian cluster.
 */
final class PostgresRegistry implements AutoCloseable {

    private static final String URL = System.getenv().getOrDefault("REGISTRY_TEST_DB_URL", "jdbc:postgresql://127.0.0.1:5432/test");
    private static final String USER = System.getenv().getOrDefault("REGISTRY_TEST_DB_USER", "postgres");
    private static final String PASSWORD = System.getenv().getOrDefault("REGISTRY_TEST_DB_PASSWORD", "");

    private final String schema;

    private PostgresRegistry(String schema) {
        this.schema = schema;
    }

    /**
     * LocalPlatform serves the registry from H2; this moves it to PostgreSQL (its own schema, migrated and seeded with
     * the default model on start) on the same ports, so that it is the one under test.
     */
    static PostgresRegistry moveOnto(LocalPlatform platform, String schemaPrefix) throws IOException, InterruptedException {
        return moveOnto(platform, schemaPrefix, List.of());
    }

    /** As {@link #moveOnto(LocalPlatform, String)}, with more arguments for the registry (e.g. its pool's settings). */
    static PostgresRegistry moveOnto(LocalPlatform platform, String schemaPrefix, List<String> registryArgs)
            throws IOException, InterruptedException {
        var registry = new PostgresRegistry(schemaPrefix + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12));
        platform.stop("model-registry");
        List<String> args = new ArrayList<>(List.of(
                "--spring.datasource.url=" + URL + "?currentSchema=" + registry.schema,
                "--spring.datasource.username=" + USER,
                "--spring.datasource.password=" + PASSWORD,
                "--spring.flyway.schemas=" + registry.schema,
                "--spring.flyway.create-schemas=true"));
        args.addAll(registryArgs);
        platform.restart("model-registry", args);
        platform.awaitReady("model-registry", Duration.ofMinutes(3));
        return registry;
    }

    /** Restarts the server (pg_ctlcluster restart: a fast shutdown, every session ended, and a start). */
    void restart() throws IOException, InterruptedException {
        cluster("restart");
    }

    /** Stops the server (fast shutdown), keeps it down for {@code down}, and starts it again. @return how long it was away */
    Duration stopFor(Duration down) throws IOException, InterruptedException {
        long began = System.nanoTime();
        cluster("stop");
        try {
            Thread.sleep(down);
        } finally {
            cluster("start");
        }
        return Duration.ofNanos(System.nanoTime() - began);
    }

    /** One SQL statement in the registry's schema, by psql: its rows, unaligned, one a line. */
    String query(String sql) throws IOException, InterruptedException {
        Result result = psql("SET search_path TO " + schema + "; " + sql);
        if (result.exit() != 0) {
            throw new IllegalStateException("psql: " + result.output());
        }
        return result.output().strip();
    }

    /** Drops the schema, best effort: it is unique to the run either way. */
    @Override
    public void close() throws IOException, InterruptedException {
        psql("drop schema if exists " + schema + " cascade");
    }

    private void cluster(String action) throws IOException, InterruptedException {
        String version;
        try (Stream<Path> versions = Files.list(Path.of("/etc/postgresql"))) {
            version = versions.map(p -> p.getFileName().toString()).sorted().findFirst().orElseThrow();
        }
        Result result = run(List.of("pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action));
        if (result.exit() != 0) {
            throw new IllegalStateException("pg_ctlcluster " + action + ": " + result.output());
        }
    }

    private static Result psql(String sql) throws IOException, InterruptedException {
        // psql takes the JDBC URL's own part (postgresql://host:port/db) as its connection string
        return run(List.of("psql", "-d", URL.substring("jdbc:".length()), "-U", USER, "-v", "ON_ERROR_STOP=1", "-tAq", "-c", sql));
    }

    private record Result(int exit, String output) {
    }

    private static Result run(List<String> command) throws IOException, InterruptedException {
        var builder = new ProcessBuilder(new ArrayList<>(command)).redirectErrorStream(true);
        if (!PASSWORD.isEmpty()) {
            builder.environment().put("PGPASSWORD", PASSWORD);
        }
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(2, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new IllegalStateException(command + " did not finish in 2 minutes");
        }
        return new Result(process.exitValue(), output);
    }
}
