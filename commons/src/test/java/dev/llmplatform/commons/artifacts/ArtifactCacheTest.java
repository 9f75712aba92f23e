package dev.llmplatform.commons.artifacts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llmplatform.commons.files.Sha256;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.util.unit.DataSize;

/** Fetching remote artifacts into the local cache, against a real S3 server (S3Proxy) and an HTTPS server. */
class ArtifactCacheTest {

    private static final String BUCKET = "models";

    @TempDir
    static Path shared;
    private static S3ProxyServer s3;
    private static TestHttpsServer https;

    @TempDir
    Path cacheDir;

    @BeforeAll
    static void startServers() throws Exception {
        s3 = S3ProxyServer.start(Files.createDirectories(shared.resolve("s3")));
        s3.createBucket(BUCKET);
        https = new TestHttpsServer(shared.resolve("tls"));
    }

    @AfterAll
    static void stopServers() {
        if (s3 != null) {
            s3.close();
        }
        if (https != null) {
            https.close();
        }
    }

    private ArtifactCache cache(DataSize maxSize, int attempts) {
        return new ArtifactCache(new ArtifactCacheProperties(cacheDir, maxSize, Duration.ofSeconds(5), attempts,
                new ArtifactCacheProperties.S3(s3.endpoint().toString(), "us-east-1", true, S3ProxyServer.IDENTITY, S3ProxyServer.CREDENTIAL),
                new ArtifactCacheProperties.Https(https.caCertificate().toString())));
    }

    private ArtifactCache cache() {
        return cache(DataSize.ofMegabytes(64), 3);
    }

    private static byte[] bytes(int size, long seed) {
        byte[] content = new byte[size];
        new Random(seed).nextBytes(content);
        return content;
    }

    private static String sha256(byte[] content) throws IOException {
        return Sha256.of(new ByteArrayInputStream(content));
    }

    @Test
    void fetchesAnS3ObjectOnceAndThenServesItFromTheCache() throws IOException {
        byte[] content = bytes(300_000, 1);
        s3.put(BUCKET, "chat/1/model.gguf", content);
        try (var cache = cache()) {
            Path first = cache.fetch("s3://" + BUCKET + "/chat/1/model.gguf", sha256(content), content.length);
            Path again = cache.fetch("s3://" + BUCKET + "/chat/1/model.gguf", sha256(content), content.length);

            assertThat(first).isEqualTo(cacheDir.resolve(sha256(content))).isEqualTo(again);
            assertThat(Files.readAllBytes(first)).isEqualTo(content);
            assertThat(cache.stats()).isEqualTo(new ArtifactCache.Stats(1, 1, content.length, 0));
        }
    }

    @Test
    void resumesAnS3DownloadFromThePartialFile() throws IOException {
        byte[] content = bytes(200_000, 2);
        s3.put(BUCKET, "chat/2/model.gguf", content);
        // what a download that broke off after 50 000 bytes left behind
        Files.write(cacheDir.resolve(sha256(content) + ".partial"), java.util.Arrays.copyOf(content, 50_000));
        try (var cache = cache()) {
            Path file = cache.fetch("s3://" + BUCKET + "/chat/2/model.gguf", sha256(content), content.length);

            assertThat(Files.readAllBytes(file)).isEqualTo(content);
            assertThat(cache.stats().bytesFetched()).isEqualTo(150_000);
            assertThat(cacheDir.resolve(sha256(content) + ".partial")).doesNotExist();
        }
    }

    @Test
    void aCachedFileThatChangedOnDiskIsFetchedAgain() throws IOException {
        byte[] content = bytes(100_000, 22);
        s3.put(BUCKET, "chat/5/model.gguf", content);
        try (var cache = cache()) {
            Path file = cache.fetch("s3://" + BUCKET + "/chat/5/model.gguf", sha256(content), content.length);
            byte[] rotten = content.clone();
            rotten[1] ^= 1;
            Files.write(file, rotten);

            Path again = cache.fetch("s3://" + BUCKET + "/chat/5/model.gguf", sha256(content), content.length);

            assertThat(Files.readAllBytes(again)).isEqualTo(content);
            assertThat(cache.stats().misses()).isEqualTo(2);
        }
    }

    @Test
    void aPartialFileOfOtherBytesIsDiscardedAndTheObjectFetchedWhole() throws IOException {
        byte[] content = bytes(200_000, 20);
        s3.put(BUCKET, "chat/4/model.gguf", content);
        // left by an older object under the same name, say: resuming from it cannot match the checksum
        Files.write(cacheDir.resolve(sha256(content) + ".partial"), bytes(50_000, 21));
        try (var cache = cache()) {
            Path file = cache.fetch("s3://" + BUCKET + "/chat/4/model.gguf", sha256(content), content.length);

            assertThat(Files.readAllBytes(file)).isEqualTo(content);
            assertThat(cache.stats().bytesFetched()).isEqualTo(150_000 + 200_000);
            assertThat(cache.stats().refused()).isZero();
        }
    }

    @Test
    void refusesACorruptedS3ObjectAndKeepsNothingOfIt() throws IOException {
        byte[] registered = bytes(100_000, 3);
        byte[] corrupted = registered.clone();
        corrupted[12_345] ^= 1;
        s3.put(BUCKET, "chat/3/model.gguf", corrupted);
        try (var cache = cache()) {
            assertThatThrownBy(() -> cache.fetch("s3://" + BUCKET + "/chat/3/model.gguf", sha256(registered), registered.length))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("checksum mismatch for s3://" + BUCKET + "/chat/3/model.gguf")
                    .hasMessageContaining(sha256(corrupted));
            try (var left = Files.list(cacheDir)) {
                assertThat(left.filter(file -> !file.toString().endsWith(".lock"))).as("no partial or cached file").isEmpty();
            }
            assertThat(cache.stats().refused()).isEqualTo(1);
        }
    }

    @Test
    void aMissingS3ObjectIsAClearError() {
        try (var cache = cache()) {
            assertThatThrownBy(() -> cache.fetch("s3://" + BUCKET + "/nowhere.gguf", "ab".repeat(32), 10))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("s3://" + BUCKET + "/nowhere.gguf");
        }
    }

    @Test
    void fetchesOverHttpsTrustingAPrivateCa() throws IOException {
        byte[] content = bytes(100_000, 4);
        String uri = https.put("/https/model.gguf", content);
        try (var cache = cache()) {
            assertThat(Files.readAllBytes(cache.fetch(uri, sha256(content), content.length))).isEqualTo(content);
        }
    }

    @Test
    void resumesABrokenHttpsDownloadWithARangeRequest() throws IOException {
        byte[] content = bytes(400_000, 5);
        String uri = https.put("/resume/model.gguf", content);
        https.ranges.clear();
        https.breakAfter(100_000);
        try (var cache = cache()) {
            Path file = cache.fetch(uri, sha256(content), content.length);

            assertThat(Files.readAllBytes(file)).isEqualTo(content);
            assertThat(https.ranges).hasSize(2);
            assertThat(https.ranges.getFirst()).isEmpty();
            // the second attempt asks only for what the first did not bring
            long resumedAt = Long.parseLong(https.ranges.get(1).replaceAll("bytes=(\\d+)-", "$1"));
            assertThat(resumedAt).isPositive().isLessThanOrEqualTo(100_000);
            assertThat(cache.stats().bytesFetched()).isEqualTo(content.length);
        }
    }

    @Test
    void concurrentFetchesOfOneArtifactDownloadItOnce() throws Exception {
        byte[] content = bytes(200_000, 6);
        String uri = https.put("/single-flight/model.gguf", content);
        https.ranges.clear();
        var release = https.hold();
        try (var cache = cache(); var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            Callable<Path> fetch = () -> cache.fetch(uri, sha256(content), content.length);
            List<Future<Path>> fetches = java.util.stream.IntStream.range(0, 8).mapToObj(i -> pool.submit(fetch)).toList();
            while (https.ranges.isEmpty()) {
                Thread.sleep(10);
            }
            Thread.sleep(200);
            release.countDown();
            for (Future<Path> result : fetches) {
                assertThat(Files.readAllBytes(result.get())).isEqualTo(content);
            }
            assertThat(https.ranges).hasSize(1);
            assertThat(cache.stats().misses()).isEqualTo(1);
        }
    }

    @Test
    void evictsTheLeastRecentlyUsedArtifactsToStayUnderItsBound() throws Exception {
        byte[] a = bytes(400_000, 7);
        byte[] b = bytes(400_000, 8);
        byte[] c = bytes(400_000, 9);
        String uriA = https.put("/lru/a", a);
        String uriB = https.put("/lru/b", b);
        String uriC = https.put("/lru/c", c);
        try (var cache = cache(DataSize.ofBytes(1_000_000), 1)) {
            cache.fetch(uriA, sha256(a), a.length);
            cache.fetch(uriB, sha256(b), b.length);
            Thread.sleep(20);
            cache.fetch(uriA, sha256(a), a.length); // a is now used more recently than b

            cache.fetch(uriC, sha256(c), c.length);

            assertThat(cacheDir.resolve(sha256(a))).exists();
            assertThat(cacheDir.resolve(sha256(b))).doesNotExist();
            assertThat(cacheDir.resolve(sha256(c))).exists();
        }
    }

    @Test
    void neverEvictsAnArtifactInUse() throws Exception {
        byte[] a = bytes(400_000, 10);
        byte[] b = bytes(400_000, 11);
        byte[] c = bytes(400_000, 12);
        try (var cache = cache(DataSize.ofBytes(1_000_000), 1)) {
            cache.keepWhileUsed(() -> Set.of(sha256Quietly(a)));
            cache.fetch(https.put("/in-use/a", a), sha256(a), a.length);
            Thread.sleep(20);
            cache.fetch(https.put("/in-use/b", b), sha256(b), b.length);

            cache.fetch(https.put("/in-use/c", c), sha256(c), c.length);

            assertThat(cacheDir.resolve(sha256(a))).exists();
            assertThat(cacheDir.resolve(sha256(b))).doesNotExist();
            // with a and c in use, a fourth artifact cannot fit: refused, not squeezed in
            cache.keepWhileUsed(() -> Set.of(sha256Quietly(c)));
            byte[] d = bytes(400_000, 13);
            assertThatThrownBy(() -> cache.fetch(https.put("/in-use/d", d), sha256(d), d.length))
                    .hasMessageContaining("cannot make room");
        }
    }

    @Test
    void aLocalFileIsUsedInPlaceAfterItsChecksumIsChecked() throws IOException {
        byte[] content = bytes(1000, 14);
        Path file = Files.write(cacheDir.resolve("local.gguf"), content);
        try (var cache = cache()) {
            assertThat(cache.fetch(file.toUri().toString(), sha256(content), content.length)).isEqualTo(file);
            assertThatThrownBy(() -> cache.fetch(file.toUri().toString(), "00".repeat(32), content.length))
                    .hasMessageContaining("checksum mismatch for " + file);
            assertThat(file).exists();
        }
    }

    private static String sha256Quietly(byte[] content) {
        try {
            return sha256(content);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
