package dev.llmplatform.gateway.security;

import dev.llmplatform.gateway.config.GatewayProperties;
import dev.llmplatform.gateway.config.GatewayProperties.KeyProperties;
import dev.llmplatform.gateway.domain.ApiKey;
import dev.llmplatform.gateway.domain.ApiKeyRing;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * The keys in force: those configured in {@link GatewayProperties} plus those of the optional keys file
 * ({@code gateway.keys-file}), which is re-read when its content changes. A new ring replaces the old one in one
 * step; a file that does not parse leaves the previous ring in force and is reported once, not at every poll.
 */
@Component
public class ApiKeys implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(ApiKeys.class);
    private static final KeyProperties DEFAULT_LIMITS = new KeyProperties("", "", List.of(), 600, 1_000_000, 0);

    private final GatewayProperties properties;
    private final Path file;
    private final AtomicReference<ApiKeyRing> ring = new AtomicReference<>();
    private final ScheduledExecutorService poller;
    private byte[] lastContent; // only touched by the constructor, then by the poller's one thread

    public ApiKeys(GatewayProperties properties) {
        this.properties = properties;
        this.file = properties.keysFile() == null || properties.keysFile().isBlank() ? null : Path.of(properties.keysFile());
        ring.set(build(properties, List.of())); // a broken file at start still leaves the configured keys working
        if (file == null) {
            poller = null;
            return;
        }
        reload();
        poller = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("api-keys-file").daemon().factory());
        long every = Math.max(100, properties.keysFilePollInterval().toMillis());
        poller.scheduleWithFixedDelay(this::reload, every, every, TimeUnit.MILLISECONDS);
    }

    public ApiKeyRing ring() {
        return ring.get();
    }

    /** Reads the file; a change that parses becomes the ring, one that does not is logged once. */
    void reload() {
        byte[] content;
        try {
            content = Files.readAllBytes(file);
        } catch (IOException e) {
            content = new byte[0];
            if (lastContent == null || lastContent.length != 0) {
                log.error("API keys file {} cannot be read ({}); the keys in force stay", file, e.toString());
            }
            lastContent = content;
            return;
        }
        if (lastContent != null && Arrays.equals(lastContent, content)) {
            return;
        }
        lastContent = content;
        try {
            ApiKeyRing next = build(properties, KeysFile.parse(new String(content, StandardCharsets.UTF_8)));
            ring.set(next);
            log.info("API keys file {} loaded: {} keys in force", file, next.size());
        } catch (RuntimeException e) {
            log.error("API keys file {} is invalid ({}); the keys in force stay", file, e.getMessage());
        }
    }

    static ApiKeyRing build(GatewayProperties properties, List<KeyProperties> fileKeys) {
        Map<String, ApiKey> byDigest = new LinkedHashMap<>();
        for (var k : properties.keys()) {
            putHashed(byDigest, k);
        }
        addPlain(byDigest, properties.apiKeys(), "api-key-", Set.of(ApiKey.INFERENCE));
        addPlain(byDigest, properties.adminKeys(), "admin-key-", Set.of(ApiKey.INFERENCE, ApiKey.ADMIN));
        for (var k : fileKeys) {
            putHashed(byDigest, k);
        }
        boolean keysFileSet = properties.keysFile() != null && !properties.keysFile().isBlank();
        if (byDigest.isEmpty() && !keysFileSet && properties.devKeySha256() != null && !properties.devKeySha256().isBlank()) {
            // nothing configured: a laptop. A deployment that configures any key (or a keys file) never accepts the dev key.
            put(byDigest, properties.devKeySha256(), new ApiKey("dev", Set.of(ApiKey.INFERENCE, ApiKey.ADMIN),
                    DEFAULT_LIMITS.requestsPerMinute(), DEFAULT_LIMITS.tokensPerMinute()));
        }
        return ApiKeyRing.of(byDigest);
    }

    private static void putHashed(Map<String, ApiKey> byDigest, KeyProperties k) {
        if (k.name() == null || k.name().isBlank()) {
            throw new IllegalArgumentException("every gateway.keys entry needs a name");
        }
        put(byDigest, k.sha256(), new ApiKey(k.name(), Set.copyOf(k.scopes()), k.requestsPerMinute(), k.tokensPerMinute(),
                k.batchTokensPerDay()));
    }

    private static void addPlain(Map<String, ApiKey> byDigest, List<String> plain, String namePrefix, Set<String> scopes) {
        var keys = plain.stream().map(String::strip).filter(k -> !k.isEmpty()).toList();
        for (int i = 0; i < keys.size(); i++) {
            put(byDigest, ApiKeyRing.sha256Hex(keys.get(i)),
                    new ApiKey(namePrefix + (i + 1), scopes, DEFAULT_LIMITS.requestsPerMinute(), DEFAULT_LIMITS.tokensPerMinute()));
        }
    }

    /** The same key configured twice keeps its first entry, whose name and limits the operator wrote out. */
    private static void put(Map<String, ApiKey> byDigest, String sha256, ApiKey key) {
        String digest = sha256 == null ? "" : sha256.strip().toLowerCase(Locale.ROOT);
        byDigest.putIfAbsent(digest, key);
    }

    @Override
    public void destroy() {
        if (poller != null) {
            poller.shutdownNow();
        }
    }
}
