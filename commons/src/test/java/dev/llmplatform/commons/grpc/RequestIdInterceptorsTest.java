package dev.llmplatform.commons.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.CallOptions;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

/**
 * A request id given to the first service reaches the MDC of every service down the chain
 * (front → back), carried by the interceptors alone: the services' code never touches it.
 */
class RequestIdInterceptorsTest {

    private static final MethodDescriptor.Marshaller<String> TEXT = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(String value) {
            return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
            try {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };
    private static final MethodDescriptor<String, String> ECHO = MethodDescriptor.<String, String>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY).setFullMethodName("test.Echo/Say")
            .setRequestMarshaller(TEXT).setResponseMarshaller(TEXT).build();

    /** Never answered: the service waits for a message that the caller never sends. */
    private static final MethodDescriptor<String, String> HANG = MethodDescriptor.<String, String>newBuilder()
            .setType(MethodDescriptor.MethodType.BIDI_STREAMING).setFullMethodName("test.Echo/Hang")
            .setRequestMarshaller(TEXT).setResponseMarshaller(TEXT).build();

    private final List<Server> servers = new ArrayList<>();
    private final List<ManagedChannel> channels = new ArrayList<>();
    private final List<String> backSawInMdc = new CopyOnWriteArrayList<>();
    private final List<String> backSawInMetadata = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        channels.forEach(ManagedChannel::shutdownNow);
        servers.forEach(Server::shutdownNow);
    }

    @Test
    void theCallersRequestIdReachesTheMdcOfEveryServiceDownTheChain() throws Exception {
        ManagedChannel front = chainOfTwo();

        String answer = call(front, "req-abc.123", "hello");

        assertThat(answer).isEqualTo("back:front:hello");
        assertThat(backSawInMetadata).containsExactly("req-abc.123");
        assertThat(backSawInMdc).containsExactly("req-abc.123");
        assertThat(MDC.get(RequestIds.MDC_KEY)).as("nothing leaks into the caller's thread").isNull();
    }

    @Test
    void anIdThatCouldForgeLogLinesIsDropped() throws Exception {
        ManagedChannel front = chainOfTwo();

        call(front, "evil id; level=ERROR fake", "hello");

        assertThat(backSawInMetadata).containsExactly("<none>");
        assertThat(backSawInMdc).containsExactly("<none>");
    }

    @Test
    void aCallWithoutARequestIdStillWorks() throws Exception {
        ManagedChannel front = chainOfTwo();

        assertThat(call(front, null, "hi")).isEqualTo("back:front:hi");
        assertThat(backSawInMdc).containsExactly("<none>");
    }

    @Test
    void theMdcOfTheCallingThreadIsForwardedWhenThereIsNoGrpcContext() throws Exception {
        ManagedChannel back = start("back", text -> "back:" + text);
        MDC.put(RequestIds.MDC_KEY, "req-from-mdc");
        try {
            call(back, null, "x");
        } finally {
            MDC.remove(RequestIds.MDC_KEY);
        }
        assertThat(backSawInMetadata).containsExactly("req-from-mdc");
    }

    @Test
    void eachFinishedCallIsLoggedOnceUnderItsRequestIdAndACancelledOneToo() throws Exception {
        var appender = new ListAppender<ILoggingEvent>();
        var logger = (Logger) LoggerFactory.getLogger(RequestIdServerInterceptor.class);
        appender.start();
        logger.addAppender(appender);
        try {
            ManagedChannel echo = start("echo", text -> text);
            call(echo, "req-ok", "x");
            // a streaming-style call the caller gives up on before the service answers
            var cancelled = ClientInterceptors.intercept(echo, MetadataUtils.newAttachHeadersInterceptor(headers("req-gone")));
            var clientCall = cancelled.newCall(HANG, CallOptions.DEFAULT);
            clientCall.start(new io.grpc.ClientCall.Listener<>() { }, new Metadata());
            clientCall.request(1);
            clientCall.cancel("caller left", null);
            Thread.sleep(200);
        } finally {
            logger.detachAppender(appender);
        }

        assertThat(appender.list).extracting(e -> e.getMDCPropertyMap().get(RequestIds.MDC_KEY) + " " + e.getFormattedMessage())
                .anySatisfy(line -> assertThat(line).startsWith("req-ok gRPC test.Echo/Say OK in "))
                .anySatisfy(line -> assertThat(line).startsWith("req-gone gRPC test.Echo/Hang CANCELLED by the caller in "));
        assertThat(appender.list).filteredOn(e -> "req-gone".equals(e.getMDCPropertyMap().get(RequestIds.MDC_KEY))).hasSize(1);
    }

    private static Metadata headers(String requestId) {
        Metadata headers = new Metadata();
        headers.put(RequestIds.METADATA_KEY, requestId);
        return headers;
    }

    /** front calls back while handling its own call; both behind the request-id interceptors. */
    private ManagedChannel chainOfTwo() throws IOException {
        ManagedChannel back = start("back", text -> {
            backSawInMdc.add(MDC.get(RequestIds.MDC_KEY) == null ? "<none>" : MDC.get(RequestIds.MDC_KEY));
            return "back:" + text;
        });
        return start("front", text -> ClientCalls.blockingUnaryCall(back, ECHO, CallOptions.DEFAULT, "front:" + text));
    }

    private ManagedChannel start(String name, Function<String, String> handler) throws IOException {
        String unique = name + "-" + System.nanoTime();
        ServerServiceDefinition service = ServerServiceDefinition.builder("test.Echo")
                .addMethod(ECHO, ServerCalls.asyncUnaryCall((request, responses) -> {
                    responses.onNext(handler.apply(request));
                    responses.onCompleted();
                }))
                .addMethod(HANG, ServerCalls.asyncBidiStreamingCall(responses -> new io.grpc.stub.StreamObserver<String>() {
                    @Override
                    public void onNext(String value) {
                    }

                    @Override
                    public void onError(Throwable t) {
                    }

                    @Override
                    public void onCompleted() {
                    }
                })).build();
        io.grpc.ServerInterceptor recordMetadata = new io.grpc.ServerInterceptor() {
            @Override
            public <Q, R> io.grpc.ServerCall.Listener<Q> interceptCall(io.grpc.ServerCall<Q, R> call, Metadata headers,
                    io.grpc.ServerCallHandler<Q, R> next) {
                if (name.equals("back")) {
                    backSawInMetadata.add(headers.get(RequestIds.METADATA_KEY) == null ? "<none>" : headers.get(RequestIds.METADATA_KEY));
                }
                return next.startCall(call, headers);
            }
        };
        // the request-id interceptor is the inner one here, as the order does not matter to it
        servers.add(InProcessServerBuilder.forName(unique).directExecutor()
                .addService(ServerInterceptors.intercept(service, new RequestIdServerInterceptor(), recordMetadata)).build().start());
        ManagedChannel channel = InProcessChannelBuilder.forName(unique).directExecutor()
                .intercept(new RequestIdClientInterceptor()).build();
        channels.add(channel);
        return channel;
    }

    private static String call(ManagedChannel channel, String requestId, String text) {
        io.grpc.Channel withHeaders = channel;
        if (requestId != null) {
            Metadata headers = new Metadata();
            headers.put(RequestIds.METADATA_KEY, requestId);
            withHeaders = ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers));
        }
        return ClientCalls.blockingUnaryCall(withHeaders, ECHO, CallOptions.DEFAULT, text);
    }
}
