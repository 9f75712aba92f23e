package dev.llmplatform.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AotCacheTest {

    @TempDir
    Path dir;

    private final List<String> progress = new ArrayList<>();

    @Test
    void aRebuiltJarWithTheSameClassesKeepsItsCache() throws IOException {
        Path first = jar("first/gateway-0.1.0-SNAPSHOT-exec.jar", Map.of("A.class", "a", "B.class", "b"), 1_000_000L);
        Path rebuilt = jar("second/gateway-0.1.0-SNAPSHOT-exec.jar", Map.of("A.class", "a", "B.class", "b"), 9_000_000L);
        Path changed = jar("third/gateway-0.1.0-SNAPSHOT-exec.jar", Map.of("A.class", "a", "B.class", "c"), 1_000_000L);

        assertThat(AotCache.contentKey(rebuilt)).isEqualTo(AotCache.contentKey(first));
        assertThat(AotCache.contentKey(changed)).isNotEqualTo(AotCache.contentKey(first));
    }

    @Test
    void withoutACacheTheServiceStartsFromItsExecutableJar() throws IOException {
        Path jar = jar("gateway-0.1.0-SNAPSHOT-exec.jar", Map.of("A.class", "a"), 0L);

        assertThat(new AotCache(dir.resolve("aot"), JvmCommand.currentJava(), progress::add).existing(jar))
                .isEqualTo(new StartForm.ExecutableJar(jar));
    }

    @Test
    void aJarThatCannotBeTrainedStillStartsAndIsNotTriedAgain() throws IOException {
        // no Spring Boot jar: its extraction fails, as a broken training run would
        Path jar = jar("gateway-0.1.0-SNAPSHOT-exec.jar", Map.of("A.class", "a"), 0L);
        var cache = new AotCache(dir.resolve("aot"), JvmCommand.currentJava(), progress::add);
        var launch = ServiceLaunch.of(LocalService.named("gateway"), List.of());

        StartForm form = cache.prepare(launch, jar, dir, dir.resolve("tmp"), dir.resolve("certs"));

        assertThat(form).isEqualTo(new StartForm.ExecutableJar(jar));
        assertThat(progress).last().asString().contains("starts without one");
        progress.clear();
        assertThat(cache.prepare(launch, jar, dir, dir.resolve("tmp"), dir.resolve("certs"))).isEqualTo(new StartForm.ExecutableJar(jar));
        assertThat(progress).as("nothing tried again").isEmpty();
    }

    private Path jar(String name, Map<String, String> entries, long modifiedMillis) throws IOException {
        Path jar = dir.resolve(name);
        Files.createDirectories(jar.getParent());
        try (var zip = new ZipOutputStream(Files.newOutputStream(jar))) {
            for (var entry : new java.util.TreeMap<>(entries).entrySet()) {
                var zipEntry = new ZipEntry(entry.getKey());
                zipEntry.setLastModifiedTime(FileTime.fromMillis(modifiedMillis));
                zip.putNextEntry(zipEntry);
                zip.write(entry.getValue().getBytes(StandardCharsets.UTF_8));
                zip.closeEntry();
            }
        }
        return jar;
    }
}
