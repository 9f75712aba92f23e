package dev.llmplatform.commons.artifacts;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3 server for tests: S3Proxy over a folder (jclouds' filesystem store), as a process of its own on a free
 * loopback port (its Jetty 11 cannot share a classpath with Boot's Jetty 12). The build copies its jar to the path in
 * the {@code s3proxy.jar} system property.
 */
public final class S3ProxyServer implements AutoCloseable {

    public static final String IDENTITY = "test-identity";
    public static final String CREDENTIAL = "test-credential";

    private final Process process;
    private final URI endpoint;
    private final S3Client client;

    private S3ProxyServer(Process process, URI endpoint) {
        this.process = process;
        this.endpoint = endpoint;
        this.client = S3Client.builder().httpClientBuilder(UrlConnectionHttpClient.builder())
                .region(Region.US_EAST_1).forcePathStyle(true).endpointOverride(endpoint)
                // S3Proxy does not read the SDK's default aws-chunked uploads with trailing checksums
                .requestChecksumCalculation(software.amazon.awssdk.core.checksums.RequestChecksumCalculation.WHEN_REQUIRED)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(IDENTITY, CREDENTIAL)))
                .build();
    }

    public static S3ProxyServer start(Path dir) throws IOException, InterruptedException {
        String jar = System.getProperty("s3proxy.jar");
        if (jar == null || !Files.isRegularFile(Path.of(jar))) {
            throw new IllegalStateException("S3Proxy's jar not found (system property s3proxy.jar: " + jar + "); run the tests through Maven");
        }
        int port;
        try (var socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        Path blobs = Files.createDirectories(dir.resolve("blobs"));
        Path properties = dir.resolve("s3proxy.properties");
        Files.writeString(properties, String.join("\n",
                "s3proxy.endpoint=http://127.0.0.1:" + port,
                "s3proxy.authorization=aws-v2-or-v4",
                "s3proxy.identity=" + IDENTITY,
                "s3proxy.credential=" + CREDENTIAL,
                "jclouds.provider=filesystem",
                "jclouds.filesystem.basedir=" + blobs,
                ""));
        // the log stays in target/ (the folder is a test's temporary one) for when a test fails
        Path log = Files.createDirectories(Path.of("target", "s3proxy")).resolve("s3proxy-" + port + ".log");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process process = new ProcessBuilder(java.toString(), "-Xmx256m", "-jar", jar, "--properties", properties.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (true) {
            try (var probe = new Socket()) {
                probe.connect(new InetSocketAddress("127.0.0.1", port), 500);
                break;
            } catch (IOException notYet) {
                if (!process.isAlive() || Instant.now().isAfter(deadline)) {
                    process.destroyForcibly();
                    throw new IllegalStateException("S3Proxy did not start; its log: " + Files.readString(log));
                }
                Thread.sleep(100);
            }
        }
        return new S3ProxyServer(process, URI.create("http://127.0.0.1:" + port));
    }

    public URI endpoint() {
        return endpoint;
    }

    /** A client for the test's own uploads, changes and checks. */
    public S3Client client() {
        return client;
    }

    public void createBucket(String bucket) {
        client.createBucket(b -> b.bucket(bucket));
    }

    public void put(String bucket, String key, byte[] content) {
        client.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(content));
    }

    @Override
    public void close() {
        client.close();
        process.destroy();
        try {
            if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
