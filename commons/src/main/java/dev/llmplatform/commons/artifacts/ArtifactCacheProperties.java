package dev.llmplatform.commons.artifacts;

import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Where the services that load models (workers, tokenizer) keep the artifacts they fetch from {@code s3://} and
 * {@code https://} URIs. {@code file:} artifacts are read where they are and never copied.
 *
 * @param dir            the cache folder; each artifact is one file named by its SHA-256 (give each pod its own
 *                       emptyDir or local volume; nothing is shared between pods)
 * @param maxSize        the bound on the folder's size; the least recently used artifacts no loaded model uses are
 *                       deleted to make room. Size it for two versions of every model served (a promotion loads the
 *                       new version beside the old one)
 * @param connectTimeout how long to wait for an S3 or HTTPS server to accept a connection
 * @param attempts       how many times one fetch tries, each resuming where the previous one broke off
 * @param s3             the S3 client's settings
 * @param https          the HTTPS client's settings
 */
@ConfigurationProperties("artifact-cache")
public record ArtifactCacheProperties(
        @DefaultValue(".platform/cache/artifacts") Path dir,
        @DefaultValue("50GB") DataSize maxSize,
        @DefaultValue("10s") Duration connectTimeout,
        @DefaultValue("3") int attempts,
        @DefaultValue S3 s3,
        @DefaultValue Https https) {

    /** The defaults above, for code that builds a cache without Spring's binding (tests, tools). */
    public static ArtifactCacheProperties defaults() {
        return new ArtifactCacheProperties(Path.of(".platform/cache/artifacts"), DataSize.ofGigabytes(50), Duration.ofSeconds(10), 3,
                new S3("", "us-east-1", true, "", ""), new Https(""));
    }

    /**
     * An S3-compatible store, as the registry's S3 artifact store is configured.
     *
     * @param endpoint        empty for AWS itself; the URL of MinIO, Ceph or another S3-compatible server otherwise
     * @param region          the bucket's region
     * @param pathStyle       address buckets as endpoint/bucket (most S3-compatible servers) instead of bucket.endpoint
     * @param accessKeyId     with {@code secretAccessKey}, fixed credentials; empty for the AWS default chain
     *                        (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile, the pod's role), which is what a
     *                        Kubernetes deployment should use
     * @param secretAccessKey see {@code accessKeyId}
     */
    public record S3(
            @DefaultValue("") String endpoint,
            @DefaultValue("us-east-1") String region,
            @DefaultValue("true") boolean pathStyle,
            @DefaultValue("") String accessKeyId,
            @DefaultValue("") String secretAccessKey) {
    }

    /**
     * @param trustedCa a PEM file of the certificate authorities that HTTPS artifact servers may present (a private
     *                  CA, such as the platform's own); empty for the JDK's default trust store. When set, only these
     *                  are trusted
     */
    public record Https(@DefaultValue("") String trustedCa) {
    }
}
