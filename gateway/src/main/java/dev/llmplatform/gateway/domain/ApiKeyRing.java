package dev.llmplatform.gateway.domain;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collection;
import java.util.List;

/**
 * A set of bearer keys. Only their SHA-256 digests are kept, and a presented key is compared against
 * every one of them in constant time, so neither memory nor timing gives a key away.
 */
public final class ApiKeyRing {

    private final List<byte[]> digests;

    private ApiKeyRing(List<byte[]> digests) {
        this.digests = digests;
    }

    public static ApiKeyRing of(Collection<String> keys) {
        return new ApiKeyRing(keys.stream().map(String::strip).filter(k -> !k.isEmpty()).map(ApiKeyRing::sha256).toList());
    }

    public boolean isEmpty() {
        return digests.isEmpty();
    }

    public boolean accepts(String presented) {
        byte[] digest = sha256(presented);
        boolean match = false;
        for (byte[] known : digests) {
            match |= MessageDigest.isEqual(known, digest); // no early exit: which key matched stays hidden too
        }
        return match;
    }

    private static byte[] sha256(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
