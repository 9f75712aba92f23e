package dev.llmplatform.registry.config;

import dev.llmplatform.registry.infra.artifacts.ArtifactStore;
import dev.llmplatform.registry.infra.artifacts.LocalDirectoryArtifactStore;
import dev.llmplatform.registry.infra.artifacts.S3ArtifactStore;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/** Picks the artifact store by {@code registry.artifacts.store}. */
@Configuration(proxyBeanMethods = false)
class ArtifactStoreConfiguration {

    @Bean
    ArtifactStore artifactStore(RegistryProperties properties) throws IOException {
        var artifacts = properties.artifacts();
        return switch (artifacts.store()) {
            case "local" -> new LocalDirectoryArtifactStore(Path.of(artifacts.localDir()));
            case "s3" -> s3Store(artifacts.s3());
            default -> throw new IllegalStateException("registry.artifacts.store must be 'local' or 's3', not '" + artifacts.store() + "'");
        };
    }

    private static ArtifactStore s3Store(RegistryProperties.S3 s3) {
        if (s3.bucket().isBlank()) {
            throw new IllegalStateException("registry.artifacts.s3.bucket is required when registry.artifacts.store=s3");
        }
        var client = S3Client.builder()
                .httpClientBuilder(UrlConnectionHttpClient.builder())
                .region(Region.of(s3.region()))
                .forcePathStyle(s3.pathStyle());
        if (!s3.endpoint().isBlank()) {
            client.endpointOverride(URI.create(s3.endpoint()));
        }
        if (!s3.accessKeyId().isBlank()) {
            client.credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(s3.accessKeyId(), s3.secretAccessKey())));
        }
        if (!s3.serverChecksum()) {
            // nor the SDK's own CRC32 trailers and checksum mode, which the same servers refuse
            client.requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                    .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
        }
        return new S3ArtifactStore(client.build(), s3.bucket(), s3.prefix(), s3.serverChecksum());
    }
}
