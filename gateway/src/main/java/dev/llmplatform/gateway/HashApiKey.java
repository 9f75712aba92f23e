package dev.llmplatform.gateway;

import dev.llmplatform.gateway.domain.ApiKeyRing;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Prints the SHA-256 hex of an API key, the form gateway.keys[].sha256 takes; with no argument it makes a new
 * random key and prints both. The key is read from the first argument or, with "-", from standard input (so
 * that it stays out of the shell history). See docs/gateway.md.
 */
public final class HashApiKey {

    private HashApiKey() {
    }

    public static void main(String[] args) throws java.io.IOException {
        if (args.length == 0) {
            byte[] random = new byte[24];
            new SecureRandom().nextBytes(random);
            String key = "sk-" + HexFormat.of().formatHex(random);
            System.out.println("key:    " + key);
            System.out.println("sha256: " + ApiKeyRing.sha256Hex(key));
            return;
        }
        String key = args[0].equals("-") ? new String(System.in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip() : args[0];
        System.out.println(ApiKeyRing.sha256Hex(key));
    }
}
