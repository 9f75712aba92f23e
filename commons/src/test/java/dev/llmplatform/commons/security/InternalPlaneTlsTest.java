package dev.llmplatform.commons.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.protobuf.services.HealthStatusManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A gRPC server set up the way every service's is (mutual TLS required, {@link GrpcCallerAuthorization}) refuses
 * every caller that lacks a certificate of the platform CA, and a certificate of the wrong role per method.
 */
class InternalPlaneTlsTest {

    private static final String HEALTH_CHECK = "grpc.health.v1.Health/Check";

    @TempDir
    Path tmp;

    private PlatformCertificates platform;
    private Server server;
    private ManagedChannel channel;

    @BeforeEach
    void startServer() throws IOException {
        platform = PlatformCertificates.issue(tmp.resolve("certs"), List.of("worker", "scheduler-service", "gateway"), List.of());
        var rules = List.of(new GrpcCallerRule("grpc.health.v1.Health/Watch", List.of("scheduler-service")));
        // Check is open to any platform identity by default; Watch, for this test, only to the scheduler
        var properties = new InternalPlaneProperties(true, "worker", platform.dir().toString(), rules, true, "", "", "", List.of("prometheus"));
        var credentials = TlsServerCredentials.newBuilder()
                .keyManager(platform.certificate("worker").toFile(), platform.privateKey("worker").toFile())
                .trustManager(platform.caCertificate().toFile())
                .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE).build();
        server = Grpc.newServerBuilderForPort(0, credentials)
                .addService(ServerInterceptors.intercept(new HealthStatusManager().getHealthService(),
                        new GrpcCallerAuthorization(properties)))
                .build().start();
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (channel != null) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    @Test
    void servesACallerWithACertificateOfThePlatformCa() throws IOException {
        assertThat(health(as(platform, "gateway")).getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    }

    @Test
    void refusesAPlaintextClient() {
        assertThatThrownBy(() -> health(InsecureChannelCredentials.create()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    }

    @Test
    void refusesATlsClientWithoutACertificate() throws IOException {
        var noCertificate = TlsChannelCredentials.newBuilder().trustManager(platform.caCertificate().toFile()).build();
        assertThatThrownBy(() -> health(noCertificate))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    }

    @Test
    void refusesACertificateOfAnotherCa() throws IOException {
        var other = PlatformCertificates.issue(tmp.resolve("other"), List.of("gateway"), List.of());
        var foreign = TlsChannelCredentials.newBuilder()
                .keyManager(other.certificate("gateway").toFile(), other.privateKey("gateway").toFile())
                .trustManager(platform.caCertificate().toFile()).build();
        assertThatThrownBy(() -> health(foreign))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    }

    @Test
    void refusesTheWrongRoleWithPermissionDenied() throws IOException {
        channel = Grpc.newChannelBuilderForAddress("127.0.0.1", server.getPort(), as(platform, "gateway")).build();
        var watch = HealthGrpc.newBlockingStub(channel).watch(HealthCheckRequest.getDefaultInstance());
        assertThatThrownBy(watch::next).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
            assertThat(e.getStatus().getDescription()).contains("'gateway' may not call grpc.health.v1.Health/Watch");
        });
    }

    @Test
    void letsTheRightRoleCallARestrictedMethod() throws IOException {
        channel = Grpc.newChannelBuilderForAddress("127.0.0.1", server.getPort(), as(platform, "scheduler-service")).build();
        var watch = HealthGrpc.newBlockingStub(channel).watch(HealthCheckRequest.getDefaultInstance());
        assertThat(watch.next().getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    }

    @Test
    void issuesKeysReadableByTheirOwnerOnlyAndKeepsWhatExists() throws IOException {
        assertThat(Files.getPosixFilePermissions(platform.privateKey("worker")))
                .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        String before = Files.readString(platform.certificate("worker"));
        PlatformCertificates.issue(platform.dir(), List.of("worker", "admin"), List.of());
        assertThat(Files.readString(platform.certificate("worker"))).isEqualTo(before);
        assertThat(platform.certificate("admin")).exists();
        assertThat(CallerIdentity.of(PemFiles.certificates(platform.certificate("admin")).getFirst()))
                .contains(new CallerIdentity("admin"));
    }

    private static ChannelCredentials as(PlatformCertificates certificates, String identity) throws IOException {
        return TlsChannelCredentials.newBuilder()
                .keyManager(certificates.certificate(identity).toFile(), certificates.privateKey(identity).toFile())
                .trustManager(certificates.caCertificate().toFile()).build();
    }

    private HealthCheckResponse health(ChannelCredentials credentials) {
        channel = Grpc.newChannelBuilderForAddress("127.0.0.1", server.getPort(), credentials).build();
        return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance());
    }
}
