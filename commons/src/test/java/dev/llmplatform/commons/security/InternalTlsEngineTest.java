package dev.llmplatform.commons.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.protobuf.services.HealthStatusManager;
import io.netty.handler.ssl.OpenSsl;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * The internal plane's TLS is BoringSSL's (netty-tcnative), not the JDK's engine, wherever its native library ships:
 * a relayed token crosses two TLS hops, and the JDK's engine cost the relays a quarter more CPU per token.
 */
@EnabledOnOs(value = {OS.LINUX, OS.MAC}, architectures = {"amd64", "x86_64", "aarch64"})
class InternalTlsEngineTest {

    @TempDir
    Path tmp;

    @Test
    void boringSslLoads() {
        assertThat(OpenSsl.isAvailable()).as("BoringSSL does not load: %s", OpenSsl.unavailabilityCause()).isTrue();
    }

    @Test
    void aMutualTlsCallOfTheInternalPlaneRunsOnBoringSslAtBothEnds() throws IOException, InterruptedException {
        var platform = PlatformCertificates.issue(tmp.resolve("certs"), List.of("worker", "gateway"), List.of());
        var serverSession = new AtomicReference<SSLSession>();
        ServerInterceptor sessionOf = new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
                serverSession.set(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
                return next.startCall(call, headers);
            }
        };
        Server server = Grpc.newServerBuilderForPort(0, TlsServerCredentials.newBuilder()
                        .keyManager(platform.certificate("worker").toFile(), platform.privateKey("worker").toFile())
                        .trustManager(platform.caCertificate().toFile())
                        .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE).build())
                .addService(ServerInterceptors.intercept(new HealthStatusManager().getHealthService(), sessionOf))
                .build().start();
        ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", server.getPort(), TlsChannelCredentials.newBuilder()
                .keyManager(platform.certificate("gateway").toFile(), platform.privateKey("gateway").toFile())
                .trustManager(platform.caCertificate().toFile()).build()).build();
        try {
            HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance());

            // netty's OpenSSL engine (ReferenceCountedOpenSslEngine) names its sessions after itself; the JDK's are sun.security.ssl's
            assertThat(serverSession.get()).isNotNull();
            assertThat(serverSession.get().getClass().getName()).startsWith("io.netty.handler.ssl.").contains("OpenSsl");
            assertThat(serverSession.get().getPeerCertificates()).isNotEmpty(); // the caller's certificate was required
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
