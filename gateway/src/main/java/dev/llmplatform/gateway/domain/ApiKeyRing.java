package dev.llmplatform.gateway.domain;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The known keys. Only their SHA-256 digests are kept, and a presented key is compared against every one
 * of them in constant time, so neither memory nor timing gives a key away.
 */
public final class ApiKeyRing {

    private final List<Entry> entries;

    private record Entry(byte[] digest, ApiKey key) {
    }

    private ApiKeyRing(List<Entry> entries) {
        this.entries = entries;
    }

    /** @param keysBySha256Hex each key's metadata under the hex SHA-256 of the key */
    public static ApiKeyRing of(Map<String, ApiKey> keysBySha256Hex) {
        var names = new LinkedHashMap<String, ApiKey>();
        var entries = keysBySha256Hex.entrySet().stream().map(e -> {
            if (names.put(e.getValue().name(), e.getValue()) != null) {
                throw new IllegalArgumentException("two API keys are named '" + e.getValue().name() + "'");
            }
            return new Entry(parseDigest(e.getKey(), e.getValue().name()), e.getValue());
        }).toList();
        return new ApiKeyRing(entries);
    }

    public boolean isEmpty() {
        return entries.isEmpty();
    }

    public int size() {
        return entries.size();
    }

    public Optional<ApiKey> find(String presented) {
        byte[] digest = sha256(presented);
        ApiKey found = null;
        for (Entry entry : entries) {
            if (MessageDigest.isEqual(entry.digest(), digest)) { // no early exit: which key matched stays hidden too
                found = entry.key();
            }
        }
        return Optional.ofNullable(found);
    }

    /** The lower-case hex SHA-256 of a key, as the configuration stores it. */
    public static String sha256Hex(String key) {
        return HexFormat.of().formatHex(sha256(key));
    }

    private static byte[] parseDigest(String hex, String name) {
        String normalized = hex == null ? "" : hex.strip().toLowerCase(java.util.Locale.ROOT);
        if (!normalized.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("API key '" + name + "': sha256 must be 64 hex digits");
        }
        return HexFormat.of().parseHex(normalized);
    }

    private static byte[] sha256(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
