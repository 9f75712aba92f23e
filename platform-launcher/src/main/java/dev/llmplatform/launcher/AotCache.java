package dev.llmplatform.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.zip.ZipFile;

/**
 * One JVM AOT cache per service jar (JEP 483/514), made once by a training run and reused by every later start, as
 * Spring Boot documents it: the executable jar extracted ({@code -Djarmode=tools extract}), then
 * {@code -XX:AOTCacheOutput} with {@code -Dspring.context.exit=onRefresh}, which creates every singleton and exits
 * before any port opens.
 *
 * <p>Layout: {@code <dir>/<service>/<key>/app/<jar>} and {@code .../app.aot}, where the key is the jar's content
 * (see {@link #contentKey}) and the JDK's version: changed classes or another JDK get a new cache, and the old ones of that
 * service are deleted. Everything is written under a temporary name and moved in place, so that launchers running
 * at the same time (a test and {@code ./platform up}) never see half a cache. When a training run fails the service
 * starts from its executable jar, and the failure is remembered (training.log beside it) so that it is not retried
 * on every start of the same jar.
 */
public final class AotCache {

    private static final Duration TRAINING_LIMIT = Duration.ofMinutes(5);

    private final Path dir;
    private final Path java;
    private final Consumer<String> progress;

    public AotCache(Path dir, Path java, Consumer<String> progress) {
        this.dir = dir;
        this.java = java;
        this.progress = progress;
    }

    /** The start form for a jar: with its cache if there is one, else the executable jar. Trains nothing. */
    public StartForm existing(Path jar) {
        Path keyDir = keyDir(jar);
        Path cache = keyDir.resolve("app.aot");
        return Files.isRegularFile(cache) ? new StartForm.CachedJar(extracted(keyDir, jar), cache) : new StartForm.ExecutableJar(jar);
    }

    /**
     * The start form for a launch: its jar's cache, made now by a training run with the launch's own JVM options and
     * arguments (on no port) when it is missing.
     */
    public StartForm prepare(ServiceLaunch launch, Path jar, Path workingDir, Path tmpDir, Path tlsDir) {
        StartForm existing = existing(jar);
        Path keyDir = keyDir(jar);
        if (existing instanceof StartForm.CachedJar || Files.exists(keyDir.resolve("training-failed"))) {
            return existing;
        }
        progress.accept("  " + launch.service().name() + ": creating its AOT cache (once per build of its jar)");
        try {
            Path extracted = extract(jar, keyDir);
            Path cache = keyDir.resolve("app.aot");
            Path partial = keyDir.resolve("app.aot.tmp-" + ProcessHandle.current().pid());
            Path log = keyDir.resolve("training.log");
            if (train(launch, extracted, partial, workingDir, tmpDir, tlsDir, log)) {
                Files.move(partial, cache, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                deleteOtherKeys(keyDir);
                return new StartForm.CachedJar(extracted, cache);
            }
            Files.deleteIfExists(partial);
            return failed(launch, jar, keyDir, "training failed, see " + log);
        } catch (IOException e) {
            return failed(launch, jar, keyDir, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return existing;
        }
    }

    /** Remembers the failure beside the jar's key, so that later starts of the same jar do not try again. */
    private StartForm failed(ServiceLaunch launch, Path jar, Path keyDir, String reason) {
        try {
            Files.createDirectories(keyDir);
            Files.writeString(keyDir.resolve("training-failed"), reason + "\n");
        } catch (IOException ignored) {
            // then the next start tries again
        }
        progress.accept("  " + launch.service().name() + ": no AOT cache (" + reason + "); it starts without one");
        return new StartForm.ExecutableJar(jar);
    }

    private Path keyDir(Path jar) {
        return dir.resolve(serviceOf(jar)).resolve(contentKey(jar) + "-jdk" + Runtime.version().feature() + "."
                + Runtime.version().interim() + "." + Runtime.version().update() + "+" + Runtime.version().build().orElse(0));
    }

    /**
     * What the jar holds, not when it was written: every entry's name, size and CRC (from the zip's central
     * directory, so it costs milliseconds). A rebuild that repackages the same classes keeps its cache.
     */
    static String contentKey(Path jar) {
        try (var zip = new ZipFile(jar.toFile())) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            zip.stream().forEach(entry -> digest.update((entry.getName() + ":" + entry.getSize() + ":" + entry.getCrc() + "\n")
                    .getBytes(StandardCharsets.UTF_8)));
            return HexFormat.of().formatHex(digest.digest()).substring(0, 16);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + jar, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String serviceOf(Path jar) {
        return jar.getFileName().toString().replaceFirst("-[0-9][^-]*(-SNAPSHOT)?-exec\\.jar$", "");
    }

    private static Path extracted(Path keyDir, Path jar) {
        return keyDir.resolve("app").resolve(jar.getFileName());
    }

    /** Extracts once per key; a launcher that loses the race to move its copy in place uses the winner's. */
    private Path extract(Path jar, Path keyDir) throws IOException, InterruptedException {
        Path target = extracted(keyDir, jar);
        if (Files.isRegularFile(target)) {
            return target;
        }
        Files.createDirectories(keyDir.getParent());
        Path scratch = Files.createTempDirectory(keyDir.getParent(), keyDir.getFileName() + ".tmp-");
        Path log = scratch.resolve("extract.log");
        Process extract = new ProcessBuilder(java.toString(), "-Djarmode=tools", "-jar", jar.toString(),
                "extract", "--destination", scratch.resolve("key/app").toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!extract.waitFor(2, TimeUnit.MINUTES) || extract.exitValue() != 0) {
            extract.destroyForcibly();
            throw new IOException("extracting " + jar + " failed: " + Files.readString(log).strip());
        }
        try {
            Files.move(scratch.resolve("key"), keyDir, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException | AtomicMoveNotSupportedException another) {
            // another launcher extracted the same jar first
        }
        deleteTree(scratch);
        return target;
    }

    private boolean train(ServiceLaunch launch, Path extracted, Path output, Path workingDir, Path tmpDir, Path tlsDir, Path log)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(java.toString());
        command.addAll(JvmCommand.jvmOptions(launch.service(), tmpDir));
        command.addAll(List.of("-XX:AOTCacheOutput=" + output, "-Dspring.context.exit=onRefresh", "-jar", extracted.toString()));
        command.addAll(JvmCommand.programArgs(new Ports(0, 0, 0), tlsDir, launch.args()));
        Files.createDirectories(tmpDir);
        Process training = new ProcessBuilder(command).directory(workingDir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
        if (!training.waitFor(TRAINING_LIMIT.toSeconds(), TimeUnit.SECONDS)) {
            training.destroyForcibly().waitFor();
            return false;
        }
        return training.exitValue() == 0 && Files.isRegularFile(output);
    }

    private static void deleteOtherKeys(Path keyDir) {
        try (Stream<Path> siblings = Files.list(keyDir.getParent())) {
            siblings.filter(p -> !p.getFileName().toString().startsWith(keyDir.getFileName().toString())).forEach(AotCache::deleteTree);
        } catch (IOException ignored) {
            // old caches only take space
        }
    }

    private static void deleteTree(Path path) {
        try (Stream<Path> tree = Files.walk(path)) {
            tree.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort: a folder another launcher still fills
        }
    }
}
