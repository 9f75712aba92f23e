package dev.llmplatform.commons.files;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 of model artifacts, streamed so that a multi-gigabyte file is never held in memory. */
public final class Sha256 {

    private Sha256() {
    }

    public static String of(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return of(in);
        }
    }

    public static String of(InputStream in) throws IOException {
        var digesting = new DigestInputStream(in, newDigest());
        digesting.transferTo(OutputStream.nullOutputStream());
        return HexFormat.of().formatHex(digesting.getMessageDigest().digest());
    }

    /** Of a string's UTF-8 bytes, e.g. to name a file after a URI. */
    public static String ofText(String text) {
        return HexFormat.of().formatHex(newDigest().digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    private static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
