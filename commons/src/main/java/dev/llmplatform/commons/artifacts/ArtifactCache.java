package dev.llmplatform.commons.artifacts;

import dev.llmplatform.commons.files.Sha256;
import dev.llmplatform.proto.v1.ModelArtifact;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns an artifact URI from the registry into a file the engine can open. {@code file:} URIs are the file itself;
 * {@code s3://bucket/key}, {@code https://} and {@code http://} are fetched into the cache folder, as
 * {@code <sha256>.partial} while they arrive and renamed to {@code <sha256>} only once their SHA-256 matches the
 * registry's. A mismatch is refused: the partial file is deleted and the fetch fails, so the caller keeps what it
 * served before. A broken download resumes from the partial file (ranged requests), in the next attempt or the
 * next fetch; concurrent fetches of one artifact share one download. The folder is bounded in bytes: to make room
 * the least recently used artifacts go first, never one that a caller declared in use ({@link #keepWhileUsed}).
 * Every artifact, local or fetched, is checked against its SHA-256 before it is handed out.
 */
public final class ArtifactCache implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ArtifactCache.class);
    private static final String PARTIAL = ".partial";
    private static final String LOCK = ".lock";

    private final ArtifactCacheProperties properties;
    private final Path dir;
    private final long maxBytes;
    private final Map<String, CompletableFuture<Path>> inFlight = new ConcurrentHashMap<>();
    private final List<Supplier<? extends Set<String>>> users = new CopyOnWriteArrayList<>();
    private final Map<String, ArtifactSource> sources = new ConcurrentHashMap<>();
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder bytesFetched = new LongAdder();
    private final LongAdder refused = new LongAdder();
    /** Serialises eviction, so that two downloads making room do not both count the same free bytes. */
    private final Object room = new Object();

    public ArtifactCache(ArtifactCacheProperties properties) {
        this.properties = properties;
        this.dir = properties.dir().toAbsolutePath().normalize();
        this.maxBytes = properties.maxSize().toBytes();
    }

    /** Counters since start: fetches answered from the folder, fetches that downloaded, bytes downloaded, artifacts refused. */
    public record Stats(long hits, long misses, long bytesFetched, long refused) {
    }

    public Stats stats() {
        return new Stats(hits.sum(), misses.sum(), bytesFetched.sum(), refused.sum());
    }

    public Path dir() {
        return dir;
    }

    /**
     * Declares which artifacts (by SHA-256) a caller uses now, e.g. those of its loaded models: eviction leaves their
     * files alone. Asked each time room is made.
     */
    public void keepWhileUsed(Supplier<? extends Set<String>> sha256s) {
        users.add(sha256s);
    }

    /** The local file of a registry artifact, fetched and checked against its SHA-256 when remote. */
    public Path fetch(ModelArtifact artifact) {
        return fetch(artifact.getUri(), artifact.getSha256(), artifact.getSizeBytes());
    }

    /**
     * The local file of {@code uri}, checked against {@code sha256}.
     *
     * @param sha256    the expected SHA-256 in hex; blank when the registry has none (e.g. an ONNX model's
     *                  tokenizer): then nothing is checked and the file is cached under a hash of its URI
     * @param sizeBytes the expected size, or 0 when unknown: lets the cache make room before downloading
     * @throws IllegalStateException the artifact cannot be had: missing, unreachable, or not matching its checksum
     */
    public Path fetch(String uri, String sha256, long sizeBytes) {
        URI parsed = URI.create(uri);
        String scheme = String.valueOf(parsed.getScheme()).toLowerCase();
        if ("file".equals(scheme)) {
            Path file = Path.of(parsed);
            if (!Files.isRegularFile(file)) {
                throw new IllegalStateException("artifact file " + file + " does not exist");
            }
            Optional<String> wrong = mismatch(file, sha256);
            if (wrong.isPresent()) {
                throw refuse(file.toString(), sha256, "the file has " + wrong.get(), "");
            }
            return file;
        }
        ArtifactSource source = source(scheme, uri);
        String key = sha256.isBlank() ? "uri-" + Sha256.ofText(uri) : sha256.toLowerCase();
        Path target = dir.resolve(key);
        if (intact(target, sha256)) {
            hits.increment();
            return target;
        }
        var mine = new CompletableFuture<Path>();
        CompletableFuture<Path> running = inFlight.putIfAbsent(key, mine);
        if (running != null) {
            return await(running, uri);
        }
        try {
            // another fetch may have finished between the look above and taking the download over
            Path fetched = intact(target, sha256) ? target : download(source, parsed, sha256, sizeBytes, key);
            mine.complete(fetched);
            return fetched;
        } catch (RuntimeException e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            inFlight.remove(key, mine);
        }
    }

    private ArtifactSource source(String scheme, String uri) {
        return switch (scheme) {
            case "s3" -> sources.computeIfAbsent(scheme, s -> new S3Source(properties.s3(), properties.connectTimeout()));
            case "https", "http" -> sources.computeIfAbsent("http", s -> new HttpSource(properties.https(), properties.connectTimeout()));
            default -> throw new IllegalStateException("artifact " + uri + " has a scheme the cache cannot fetch (file:, s3://, https://)");
        };
    }

    private static Path await(CompletableFuture<Path> running, String uri) {
        try {
            return running.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException failed) {
                throw failed;
            }
            throw new IllegalStateException("cannot fetch " + uri + ": " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + uri, e);
        }
    }

    private Path download(ArtifactSource source, URI uri, String sha256, long sizeBytes, String key) {
        Path target = dir.resolve(key);
        Path partial = dir.resolve(key + PARTIAL);
        try {
            Files.createDirectories(dir);
            // processes sharing the folder (./platform up runs the tokenizer and the workers on one) take turns too
            try (var lock = FileChannel.open(dir.resolve(key + LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 var held = lock.lock()) {
                if (intact(target, sha256)) {
                    hits.increment();
                    return target;
                }
                misses.increment();
                return downloadLocked(source, uri, sha256, sizeBytes, key, target, partial);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot fetch " + uri + " after " + properties.attempts() + " attempt(s): " + e.getMessage()
                    + " (what arrived is kept in " + partial + " and the next fetch resumes from it)", e);
        }
    }

    private Path downloadLocked(ArtifactSource source, URI uri, String sha256, long sizeBytes, String key, Path target, Path partial)
            throws IOException {
        if (sizeBytes > 0) {
            makeRoom(sizeBytes - sizeOf(partial), key);
        }
        long started = System.nanoTime();
        boolean resumed = sizeOf(partial) > 0;
        transfer(source, uri, partial, sizeBytes);
        Optional<String> wrong = mismatch(partial, sha256);
        if (wrong.isPresent() && resumed) {
            // the partial file may have been left by an older object under the same name: once more from the start
            log.warn("{} did not match its checksum after resuming a partial download; fetching it again from the start", uri);
            Files.delete(partial);
            transfer(source, uri, partial, sizeBytes);
            wrong = mismatch(partial, sha256);
        }
        if (wrong.isPresent()) {
            deleteQuietly(partial);
            throw refuse(uri.toString(), sha256, "the downloaded bytes have " + wrong.get(), " (the download was deleted)");
        }
        Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        log.info("Fetched {} ({} bytes) into {} in {} ms", uri, Files.size(target), target, (System.nanoTime() - started) / 1_000_000);
        if (sizeBytes <= 0) {
            // the size was not known before: make room now; the file is good, so a cache over its bound only warns
            try {
                makeRoom(0, key);
            } catch (IllegalStateException full) {
                log.warn("{}", full.getMessage());
            }
        }
        return target;
    }

    /** Appends the rest of the object to {@code partial}, retrying broken transfers from where they stopped. */
    private void transfer(ArtifactSource source, URI uri, Path partial, long sizeBytes) throws IOException {
        IOException last = null;
        for (int attempt = 1; attempt <= Math.max(1, properties.attempts()); attempt++) {
            long have = sizeOf(partial);
            if (sizeBytes > 0 && have > sizeBytes) {
                Files.delete(partial);
                have = 0;
            }
            if (sizeBytes > 0 && have == sizeBytes) {
                return;
            }
            try {
                var body = source.open(uri, have);
                try (InputStream in = body.in();
                     OutputStream out = body.start() == 0
                             ? Files.newOutputStream(partial)
                             : Files.newOutputStream(partial, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
                    if (have > 0) {
                        log.info("Resuming {} at byte {}{}", uri, have, body.start() == 0 ? " (the server sends it whole)" : "");
                    }
                    byte[] buffer = new byte[1 << 16];
                    for (int read; (read = in.read(buffer)) >= 0; ) {
                        out.write(buffer, 0, read);
                        bytesFetched.add(read);
                    }
                }
                return;
            } catch (IOException e) {
                last = e;
                log.warn("Fetching {} broke off at byte {} (attempt {} of {}): {}", uri, sizeOf(partial), attempt,
                        properties.attempts(), e.getMessage());
            }
        }
        throw last;
    }

    /** The file's SHA-256 when it is not the expected one (blank: anything is). */
    private static Optional<String> mismatch(Path file, String sha256) {
        if (sha256.isBlank()) {
            return Optional.empty();
        }
        try {
            String actual = Sha256.of(file);
            return actual.equalsIgnoreCase(sha256) ? Optional.empty() : Optional.of(actual);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private IllegalStateException refuse(String uri, String sha256, String found, String after) {
        refused.increment();
        return new IllegalStateException("checksum mismatch for " + uri + ": registry says " + sha256 + ", " + found
                + "; the artifact is corrupted or was replaced" + after);
    }

    /**
     * Deletes the least recently used files until {@code needed} more bytes fit under the bound, sparing those in use,
     * being downloaded and {@code fetching}'s own.
     */
    private void makeRoom(long needed, String fetching) throws IOException {
        if (needed > maxBytes) {
            throw new IllegalStateException("an artifact of " + needed + " bytes does not fit in the artifact cache ("
                    + maxBytes + " bytes, artifact-cache.max-size)");
        }
        synchronized (room) {
            Set<String> spared = new HashSet<>(inFlight.keySet());
            spared.add(fetching);
            users.forEach(user -> user.get().forEach(sha -> spared.add(sha.toLowerCase())));
            List<Entry> entries = entries();
            long used = entries.stream().mapToLong(Entry::size).sum();
            List<Entry> candidates = new ArrayList<>(entries.stream().filter(e -> !spared.contains(e.key())).toList());
            candidates.sort(Comparator.comparing(Entry::lastUsed));
            for (Entry oldest : candidates) {
                if (used + needed <= maxBytes) {
                    break;
                }
                deleteQuietly(oldest.file());
                used -= oldest.size();
                log.info("Evicted {} ({} bytes, last used {}) from the artifact cache to make room", oldest.file().getFileName(),
                        oldest.size(), oldest.lastUsed());
            }
            if (used + needed > maxBytes) {
                throw new IllegalStateException("the artifact cache " + dir + " cannot make room for " + needed + " more bytes: "
                        + used + " of " + maxBytes + " bytes (artifact-cache.max-size) are artifacts in use or being fetched");
            }
        }
    }

    private record Entry(Path file, String key, long size, FileTime lastUsed) {
    }

    private List<Entry> entries() throws IOException {
        List<Entry> entries = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.toList()) {
                try {
                    String name = file.getFileName().toString();
                    if (name.endsWith(LOCK)) {
                        continue;
                    }
                    String key = name.endsWith(PARTIAL) ? name.substring(0, name.length() - PARTIAL.length()) : name;
                    entries.add(new Entry(file, key, Files.size(file), Files.getLastModifiedTime(file)));
                } catch (NoSuchFileException gone) {
                    // deleted meanwhile: nothing to count
                }
            }
        }
        return entries;
    }

    /**
     * Whether the cached file is there and still has its SHA-256 (checked on every use, as local files are: a disk can
     * rot); one that changed is deleted, to be fetched again.
     */
    private boolean intact(Path target, String sha256) {
        if (!touch(target)) {
            return false;
        }
        Optional<String> wrong = mismatch(target, sha256);
        if (wrong.isPresent()) {
            log.warn("The cached {} has SHA-256 {} now; deleted, to be fetched again", target, wrong.get());
            deleteQuietly(target);
            return false;
        }
        return true;
    }

    /** Marks a cached file as just used (its modification time is the LRU order); false when it is not there. */
    private static boolean touch(Path file) {
        try {
            Files.setLastModifiedTime(file, FileTime.from(Instant.now()));
            return Files.isRegularFile(file);
        } catch (IOException missing) {
            return false;
        }
    }

    private static long sizeOf(Path file) throws IOException {
        try {
            return Files.size(file);
        } catch (NoSuchFileException e) {
            return 0;
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            log.warn("Cannot delete {}: {}", file, e.getMessage());
        }
    }

    @Override
    public void close() {
        sources.values().forEach(source -> {
            try {
                ((AutoCloseable) source).close();
            } catch (Exception e) {
                log.debug("Closing {}: {}", source, e.getMessage());
            }
        });
    }
}
