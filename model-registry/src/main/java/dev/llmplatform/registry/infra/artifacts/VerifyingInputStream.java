package dev.llmplatform.registry.infra.artifacts;

import dev.llmplatform.registry.domain.RegistryException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Hashes and counts the bytes that pass through, and fails as soon as more than the limit have arrived. */
final class VerifyingInputStream extends FilterInputStream {

    private final MessageDigest digest;
    private final long maxBytes;
    private long count;

    VerifyingInputStream(InputStream in, long maxBytes) {
        super(in);
        this.maxBytes = maxBytes;
        try {
            this.digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
            digest.update((byte) b);
            counted(1);
        }
        return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        int n = super.read(buffer, offset, length);
        if (n > 0) {
            digest.update(buffer, offset, n);
            counted(n);
        }
        return n;
    }

    @Override
    public long skip(long n) {
        throw new UnsupportedOperationException("every byte must be hashed");
    }

    private void counted(int n) {
        count += n;
        if (count > maxBytes) {
            throw new RegistryException.TooLarge("the artifact is larger than the " + maxBytes + " bytes this registry accepts");
        }
    }

    long count() {
        return count;
    }

    String sha256() {
        return HexFormat.of().formatHex(digest.digest());
    }

    static void checkDeclaredLength(long declaredLength, long maxBytes) {
        if (declaredLength > maxBytes) {
            throw new RegistryException.TooLarge("the artifact has " + declaredLength + " bytes; this registry accepts at most " + maxBytes);
        }
    }

    static RegistryException.ChecksumMismatch mismatch(String expected, String actual) {
        return new RegistryException.ChecksumMismatch("checksum mismatch: the upload declared sha256 " + expected
                + " but its bytes hash to " + actual + "; nothing was stored");
    }
}
