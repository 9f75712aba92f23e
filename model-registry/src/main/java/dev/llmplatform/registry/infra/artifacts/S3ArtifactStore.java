package dev.llmplatform.registry.infra.artifacts;

import dev.llmplatform.registry.domain.RegistryException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.net.URI;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Artifacts as objects in an S3-compatible bucket (the deployment option). The upload carries the declared
 * SHA-256 as {@code x-amz-checksum-sha256}, so the server itself refuses mismatching bytes before the object
 * becomes visible; the store hashes the stream too and deletes the object should a server not check.
 * S3 needs the length of a single streamed PUT in advance: an upload of unknown length (a multipart file part, a
 * chunked body) is spooled through a temporary file first, never held in memory. Servers that do not implement
 * checksum headers (S3Proxy) get none ({@code serverChecksum} false); the store's own hash still guards them.
 */
public final class S3ArtifactStore implements ArtifactStore {

    private final S3Client s3;
    private final String bucket;
    private final String prefix;
    private final boolean serverChecksum;

    public S3ArtifactStore(S3Client s3, String bucket, String prefix, boolean serverChecksum) {
        this.s3 = s3;
        this.bucket = bucket;
        this.prefix = prefix.isEmpty() || prefix.endsWith("/") ? prefix : prefix + "/";
        this.serverChecksum = serverChecksum;
    }

    @Override
    public StoredArtifact put(String key, InputStream content, long declaredLength, String expectedSha256, long maxBytes)
            throws IOException {
        if (declaredLength < 0) {
            Path spool = Files.createTempFile("s3-upload-", ".part");
            try {
                long length;
                try (OutputStream out = Files.newOutputStream(spool)) {
                    length = new VerifyingInputStream(content, maxBytes).transferTo(out); // refuses more than maxBytes
                }
                try (InputStream spooled = Files.newInputStream(spool)) {
                    return put(key, spooled, length, expectedSha256, maxBytes);
                }
            } finally {
                Files.deleteIfExists(spool);
            }
        }
        VerifyingInputStream.checkDeclaredLength(declaredLength, maxBytes);
        String objectKey = prefix + key;
        var verifying = new VerifyingInputStream(content, maxBytes);
        try {
            s3.putObject(b -> {
                b.bucket(bucket).key(objectKey).contentLength(declaredLength);
                if (serverChecksum && !expectedSha256.isEmpty()) {
                    b.checksumAlgorithm(ChecksumAlgorithm.SHA256)
                            .checksumSHA256(Base64.getEncoder().encodeToString(HexFormat.of().parseHex(expectedSha256)));
                }
            }, RequestBody.fromInputStream(verifying, declaredLength));
        } catch (S3Exception e) {
            if ("BadDigest".equals(e.awsErrorDetails().errorCode()) || "InvalidRequest".equals(e.awsErrorDetails().errorCode())) {
                throw VerifyingInputStream.mismatch(expectedSha256, "something else (refused by the S3 server: " + e.awsErrorDetails().errorMessage() + ")");
            }
            throw e;
        }
        String actual = verifying.sha256();
        if (!expectedSha256.isEmpty() && !actual.equalsIgnoreCase(expectedSha256)) {
            s3.deleteObject(b -> b.bucket(bucket).key(objectKey));
            throw VerifyingInputStream.mismatch(expectedSha256, actual);
        }
        return new StoredArtifact("s3://" + bucket + "/" + objectKey, actual, verifying.count(), Optional.empty());
    }

    @Override
    public InputStream open(String uri) throws IOException {
        return s3.getObject(b -> b.bucket(bucketOf(uri)).key(keyOf(uri)));
    }

    @Override
    public boolean owns(String uri) {
        return uri.startsWith("s3://" + bucket + "/" + prefix);
    }

    @Override
    public void delete(String uri) {
        if (owns(uri)) {
            s3.deleteObject(b -> b.bucket(bucket).key(keyOf(uri)));
        }
    }

    private static String bucketOf(String uri) {
        return URI.create(uri).getHost();
    }

    private static String keyOf(String uri) {
        return URI.create(uri).getPath().substring(1);
    }
}
