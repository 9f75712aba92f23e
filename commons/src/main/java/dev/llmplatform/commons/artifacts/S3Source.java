package dev.llmplatform.commons.artifacts;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** {@code s3://bucket/key} through the AWS SDK: ranged GETs, so that a broken download resumes where it stopped. */
final class S3Source implements ArtifactSource, AutoCloseable {

    private final S3Client s3;

    S3Source(ArtifactCacheProperties.S3 settings, Duration connectTimeout) {
        var client = S3Client.builder()
                .httpClientBuilder(UrlConnectionHttpClient.builder().connectionTimeout(connectTimeout))
                .region(Region.of(settings.region()))
                .forcePathStyle(settings.pathStyle())
                // the cache checks every artifact's SHA-256 itself; S3-compatible servers that do not implement the
                // SDK's checksum mode (S3Proxy, older MinIO) refuse requests that carry or ask for them
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED);
        if (!settings.endpoint().isBlank()) {
            client.endpointOverride(URI.create(settings.endpoint()));
        }
        if (!settings.accessKeyId().isBlank()) {
            client.credentialsProvider(StaticCredentialsProvider.create(
                    AwsBasicCredentials.create(settings.accessKeyId(), settings.secretAccessKey())));
        }
        this.s3 = client.build();
    }

    @Override
    public Body open(URI uri, long from) throws IOException {
        // by hand: bucket names may hold characters (underscores) that URI.getHost() rejects
        String rest = uri.toString().substring("s3://".length());
        int slash = rest.indexOf('/');
        if (slash <= 0 || slash == rest.length() - 1) {
            throw new IllegalStateException("artifact URI " + uri + " is not s3://bucket/key");
        }
        String bucket = rest.substring(0, slash);
        String key = rest.substring(slash + 1);
        try {
            var in = s3.getObject(b -> {
                b.bucket(bucket).key(key);
                if (from > 0) {
                    b.range("bytes=" + from + "-");
                }
            });
            long start = from > 0 && in.response().contentRange() == null ? 0 : from;
            return new Body(in, start);
        } catch (S3Exception e) {
            if (e.statusCode() == 416) {
                return new Body(InputStream.nullInputStream(), from);
            }
            if ((e.statusCode() >= 500 && e.statusCode() != 501) || e.statusCode() == 429) {
                throw new IOException("S3 answered " + e.statusCode() + " for " + uri + ": " + e.getMessage(), e);
            }
            throw new IllegalStateException("S3 refused " + uri + " (" + e.statusCode() + "): "
                    + (e.awsErrorDetails() == null ? e.getMessage() : e.awsErrorDetails().errorMessage()), e);
        } catch (SdkClientException e) {
            throw new IOException("cannot reach S3 for " + uri + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        s3.close();
    }
}
