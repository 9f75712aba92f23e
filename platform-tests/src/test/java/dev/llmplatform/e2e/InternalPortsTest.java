package dev.llmplatform.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llmplatform.commons.security.PemFiles;
import dev.llmplatform.commons.security.PlatformCertificates;
import dev.llmplatform.launcher.LocalPlatform;
import dev.llmplatform.proto.v1.GetLoadRequest;
import dev.llmplatform.proto.v1.InferenceWorkerGrpc;
import dev.llmplatform.proto.v1.ListModelsRequest;
import dev.llmplatform.proto.v1.ListServedModelsRequest;
import dev.llmplatform.proto.v1.LoadModelRequest;
import dev.llmplatform.proto.v1.ModelRegistryGrpc;
import dev.llmplatform.proto.v1.RegisterModelRequest;
import dev.llmplatform.proto.v1.SchedulerGrpc;
import dev.llmplatform.proto.v1.TokenizeRequest;
import dev.llmplatform.proto.v1.TokenizerGrpc;
import dev.llmplatform.proto.v1.UnloadModelRequest;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The internal plane of the real platform (every service its own process, as ./platform up starts them): every
 * internal port refuses a plaintext client, a TLS client without a certificate and a certificate from another CA;
 * a certificate of the platform CA with the wrong role gets PERMISSION_DENIED (403 over HTTP), the right role is
 * served; and nothing listens beyond loopback.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class InternalPortsTest {

    private static final List<String> INTERNAL = List.of("model-registry", "tokenizer-service", "inference-cpu-service", "scheduler-service");

    private LocalPlatform platform;
    private PlatformCertificates otherCa;
    private final List<ManagedChannel> channels = new ArrayList<>();

    @BeforeAll
    void start(@TempDir Path tmp) throws Exception {
        platform = new LocalPlatform("sk-internal-" + System.nanoTime()).withoutGateway().start();
        otherCa = PlatformCertificates.issue(tmp.resolve("other-ca"), List.of("gateway", "scheduler-service", "admin"), List.of());
    }

    @AfterAll
    void stop() {
        channels.forEach(ManagedChannel::shutdownNow);
        if (platform != null) {
            platform.close();
        }
    }

    @Test
    void everyInternalGrpcPortRefusesCallersWithoutACertificateOfThePlatformCa() throws IOException {
        var caOnly = TlsChannelCredentials.newBuilder().trustManager(platform.certificates().caCertificate().toFile()).build();
        var foreign = TlsChannelCredentials.newBuilder()
                .keyManager(otherCa.certificate("scheduler-service").toFile(), otherCa.privateKey("scheduler-service").toFile())
                .trustManager(platform.certificates().caCertificate().toFile()).build();
        for (String service : INTERNAL) {
            int port = platform.service(service).grpcPort();
            for (var credentials : List.of(InsecureChannelCredentials.create(), caOnly, foreign)) {
                assertThatThrownBy(() -> health(port, credentials)).as(service + " gRPC")
                        .isInstanceOfSatisfying(StatusRuntimeException.class,
                                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
            }
            health(port, platform.credentials("admin"));
        }
    }

    @Test
    void everyInternalHttpPortRefusesCallersWithoutACertificateOfThePlatformCa() throws Exception {
        var plaintext = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        var caOnly = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).sslContext(trustingOnly(platform.certificates())).build();
        var foreign = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2))
                .sslContext(foreignIdentityTrustingPlatform("admin")).build();
        for (String service : INTERNAL) {
            int port = platform.service(service).httpPort();
            assertThat(plainHttpStatus(plaintext, port)).as(service + " over plain HTTP (0: connection closed)").isIn(0, 400);
            for (HttpClient client : List.of(caOnly, foreign)) {
                assertThatThrownBy(() -> client.send(HttpRequest.newBuilder(platform.internal(service, "/admin/models"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()))
                        .as(service + " over TLS without a platform certificate").isInstanceOf(IOException.class);
            }
        }
    }

    @Test
    void aCertificateOfTheWrongRoleIsDeniedPerMethodAndTheRightRoleIsServed() {
        // a worker serves the scheduler only; loading and unloading models is an operator's (admin) call
        var asGateway = InferenceWorkerGrpc.newBlockingStub(channel("inference-cpu-service", "gateway"));
        assertDenied(() -> asGateway.getLoad(GetLoadRequest.getDefaultInstance()));
        var asScheduler = InferenceWorkerGrpc.newBlockingStub(channel("inference-cpu-service", "scheduler-service"));
        assertDenied(() -> asScheduler.unloadModel(UnloadModelRequest.newBuilder().setModel(LocalPlatform.MODEL).build()));
        assertDenied(() -> asScheduler.loadModel(LoadModelRequest.newBuilder().setModel(LocalPlatform.MODEL).build()));
        assertThat(asScheduler.getLoad(GetLoadRequest.getDefaultInstance()).getModelsList()).isNotEmpty();

        // the registry: services read it, only an admin writes
        var registryAsScheduler = ModelRegistryGrpc.newBlockingStub(channel("model-registry", "scheduler-service"));
        assertThat(registryAsScheduler.listModels(ListModelsRequest.getDefaultInstance()).getModelsList()).isNotEmpty();
        assertDenied(() -> registryAsScheduler.registerModel(RegisterModelRequest.newBuilder().setModelId("intruder").build()));

        // the tokenizer serves the scheduler only
        assertDenied(() -> TokenizerGrpc.newBlockingStub(channel("tokenizer-service", "gateway"))
                .countTokens(TokenizeRequest.newBuilder().setModel(LocalPlatform.MODEL).setText("In the beginning").build()));
        assertThat(TokenizerGrpc.newBlockingStub(channel("tokenizer-service", "scheduler-service"))
                .countTokens(TokenizeRequest.newBuilder().setModel(LocalPlatform.MODEL).setText("In the beginning").build()).getCount())
                .isPositive();

        // the scheduler serves the gateway only
        assertDenied(() -> SchedulerGrpc.newBlockingStub(channel("scheduler-service", "inference-cpu-service"))
                .listServedModels(ListServedModelsRequest.getDefaultInstance()));
        assertThat(SchedulerGrpc.newBlockingStub(channel("scheduler-service", "gateway"))
                .listServedModels(ListServedModelsRequest.getDefaultInstance()).getModelsList()).isNotEmpty();
    }

    @Test
    void theRegistryAdminApiServesTheGatewayAndAdminRolesOnly() throws Exception {
        for (String identity : List.of("gateway", "admin")) {
            assertThat(platform.httpsClient(identity).send(HttpRequest.newBuilder(platform.internal("model-registry", "/admin/models"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).as(identity).isEqualTo(200);
        }
        for (String identity : List.of("tokenizer-service", "inference-cpu-service", "scheduler-service")) {
            // however the path is spelled
            for (String path : List.of("/admin/models", "/%61dmin/models", "/admin;x=y/models", "/ADMIN/models")) {
                var response = platform.httpsClient(identity).send(HttpRequest.newBuilder(platform.internal("model-registry", path))
                        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(response.statusCode()).as(identity + " " + path).isEqualTo(403);
            }
        }
    }

    @Test
    void nothingListensBeyondLoopback() {
        var listening = ListeningSockets.of(INTERNAL.stream().map(s -> platform.service(s).process().toHandle()).toList());
        // every service has at least its HTTP, gRPC and management ports open
        assertThat(listening).hasSizeGreaterThanOrEqualTo(3 * INTERNAL.size());
        assertThat(listening).allSatisfy(socket -> assertThat(socket.getAddress().isLoopbackAddress()).as("listening on " + socket).isTrue());
    }

    /** The status a plain HTTP request to a TLS port gets: Tomcat answers 400, Netty closes the connection (0). */
    private static int plainHttpStatus(HttpClient plaintext, int port) throws InterruptedException {
        try {
            return plaintext.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/admin/models"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
        } catch (IOException closed) {
            return 0;
        }
    }

    private ManagedChannel channel(String service, String identity) {
        ManagedChannel channel = platform.channel(service, identity);
        channels.add(channel);
        return channel;
    }

    private void health(int port, ChannelCredentials credentials) {
        ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", port, credentials).build();
        channels.add(channel);
        HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance());
    }

    private static void assertDenied(org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));
    }

    private static javax.net.ssl.SSLContext trustingOnly(PlatformCertificates certificates) throws Exception {
        var context = javax.net.ssl.SSLContext.getInstance("TLS");
        context.init(null, PemFiles.trustManagers(certificates.caCertificate()).getTrustManagers(), null);
        return context;
    }

    /** A certificate from another CA that trusts the platform's servers: the server must still refuse it. */
    private javax.net.ssl.SSLContext foreignIdentityTrustingPlatform(String identity) throws Exception {
        Path mixed = Files.createTempDirectory("mixed-ca");
        Files.copy(otherCa.certificate(identity), mixed.resolve(identity + ".crt"));
        Files.copy(otherCa.privateKey(identity), mixed.resolve(identity + ".key"));
        Files.copy(platform.certificates().caCertificate(), mixed.resolve(PlatformCertificates.CA_CERT));
        return PemFiles.sslContext(mixed, identity);
    }
}
