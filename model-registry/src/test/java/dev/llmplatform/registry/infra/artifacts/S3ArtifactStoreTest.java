package dev.llmplatform.registry.infra.artifacts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llmplatform.commons.artifacts.S3ProxyServer;
import dev.llmplatform.commons.files.Sha256;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/** The S3 artifact store against a real S3 server (S3Proxy), configured as registry.artifacts.s3.server-checksum=false. */
class S3ArtifactStoreTest {

    @TempDir
    static Path dir;
    private static S3ProxyServer server;
    private static S3ArtifactStore store;

    @BeforeAll
    static void start() throws Exception {
        server = S3ProxyServer.start(dir);
        server.createBucket("artifacts");
        S3Client client = S3Client.builder().httpClientBuilder(UrlConnectionHttpClient.builder()).region(Region.US_EAST_1)
                .forcePathStyle(true).endpointOverride(server.endpoint())
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(S3ProxyServer.IDENTITY, S3ProxyServer.CREDENTIAL)))
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .build();
        store = new S3ArtifactStore(client, "artifacts", "models", false);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static byte[] bytes(int size) {
        byte[] content = new byte[size];
        new Random(size).nextBytes(content);
        return content;
    }

    @Test
    void storesAnUploadAsAnObjectUnderItsPrefixAndReadsItBack() throws IOException {
        byte[] content = bytes(250_000);
        String sha256 = Sha256.of(new ByteArrayInputStream(content));

        var stored = store.put("chat/1/cpu.gguf", new ByteArrayInputStream(content), content.length, sha256, 1 << 20);

        assertThat(stored.uri()).isEqualTo("s3://artifacts/models/chat/1/cpu.gguf");
        assertThat(stored.sha256()).isEqualTo(sha256);
        assertThat(stored.sizeBytes()).isEqualTo(content.length);
        assertThat(server.client().getObjectAsBytes(b -> b.bucket("artifacts").key("models/chat/1/cpu.gguf")).asByteArray()).isEqualTo(content);
        try (InputStream in = store.open(stored.uri())) {
            assertThat(in.readAllBytes()).isEqualTo(content);
        }
        assertThat(store.owns(stored.uri())).isTrue();
    }

    @Test
    void refusesBytesThatDoNotMatchTheDeclaredChecksumAndLeavesNoObject() throws IOException {
        byte[] content = bytes(100_000);
        String declared = Sha256.of(new ByteArrayInputStream(bytes(99_999)));

        assertThatThrownBy(() -> store.put("chat/2/cpu.gguf", new ByteArrayInputStream(content), content.length, declared, 1 << 20))
                .hasMessageContaining("checksum mismatch");
        assertThatThrownBy(() -> server.client().headObject(b -> b.bucket("artifacts").key("models/chat/2/cpu.gguf")))
                .isInstanceOf(NoSuchKeyException.class);
    }

    @Test
    void anUploadOfUnknownLengthIsSpooledAndStoredWithinItsLimit() throws IOException {
        byte[] content = bytes(70_000);

        var stored = store.put("batch-files/file-1.jsonl", new ByteArrayInputStream(content), -1, "", 1 << 20);

        assertThat(stored.sizeBytes()).isEqualTo(content.length);
        assertThat(stored.sha256()).isEqualTo(Sha256.of(new ByteArrayInputStream(content)));
        try (InputStream in = store.open(stored.uri())) {
            assertThat(in.readAllBytes()).isEqualTo(content);
        }
        assertThatThrownBy(() -> store.put("batch-files/file-2.jsonl", new ByteArrayInputStream(content), -1, "", 50_000))
                .as("over the limit while spooling").isInstanceOf(RuntimeException.class);
        assertThatThrownBy(() -> server.client().headObject(b -> b.bucket("artifacts").key("models/batch-files/file-2.jsonl")))
                .isInstanceOf(NoSuchKeyException.class);
    }

    @Test
    void deletesItsOwnObjects() throws IOException {
        byte[] content = bytes(1000);
        var stored = store.put("chat/3/cpu.gguf", new ByteArrayInputStream(content), content.length,
                Sha256.of(new ByteArrayInputStream(content)), 1 << 20);

        store.delete(stored.uri());

        assertThatThrownBy(() -> server.client().headObject(b -> b.bucket("artifacts").key("models/chat/3/cpu.gguf")))
                .isInstanceOf(NoSuchKeyException.class);
    }
}
