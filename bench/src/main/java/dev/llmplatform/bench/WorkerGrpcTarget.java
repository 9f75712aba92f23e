package dev.llmplatform.bench;

import dev.llmplatform.proto.v1.FinishReason;
import dev.llmplatform.proto.v1.InferenceWorkerGrpc;
import dev.llmplatform.proto.v1.SamplingParams;
import dev.llmplatform.proto.v1.WorkerGenerateChunk;
import dev.llmplatform.proto.v1.WorkerGenerateRequest;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;

/** One CPU worker called directly: InferenceWorker.Generate with the prompt's token ids, no gateway or scheduler. */
public final class WorkerGrpcTarget implements Target {

    private final ManagedChannel channel;
    private final InferenceWorkerGrpc.InferenceWorkerBlockingStub worker;
    private final String model;
    private final Duration requestTimeout;

    /** @param tlsDir the platform's certificates: the worker is called as the scheduler, the only role it serves */
    public WorkerGrpcTarget(String host, int port, java.nio.file.Path tlsDir, String model, Duration requestTimeout) {
        try {
            this.channel = io.grpc.Grpc.newChannelBuilderForAddress(host, port, io.grpc.TlsChannelCredentials.newBuilder()
                    .keyManager(tlsDir.resolve("scheduler-service.crt").toFile(), tlsDir.resolve("scheduler-service.key").toFile())
                    .trustManager(tlsDir.resolve("ca.crt").toFile()).build()).build();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot read the platform certificates in " + tlsDir, e);
        }
        this.worker = InferenceWorkerGrpc.newBlockingStub(channel);
        this.model = model;
        this.requestTimeout = requestTimeout;
    }

    @Override
    public String name() {
        return "worker-grpc";
    }

    @Override
    public RequestRecord generate(BenchPrompt prompt, Sampling sampling) {
        var params = SamplingParams.newBuilder()
                .setTemperature((float) sampling.temperature())
                .setTopP(1.0f)
                .setMaxTokens(sampling.maxTokens())
                .setIgnoreEos(sampling.ignoreEos());
        sampling.seed().ifPresent(params::setSeed);
        var request = WorkerGenerateRequest.newBuilder()
                .setRequestId("bench-" + prompt.index() + "-" + System.nanoTime())
                .setModel(model)
                .addAllPromptTokenIds(Arrays.stream(prompt.promptTokenIds()).boxed().toList())
                .setSampling(params)
                .build();
        var timer = new RequestTimer(prompt);
        try {
            Iterator<WorkerGenerateChunk> chunks = worker.withDeadlineAfter(requestTimeout.toMillis(), TimeUnit.MILLISECONDS)
                    .generate(request);
            int reported = 0;
            boolean finished = false;
            while (chunks.hasNext()) {
                WorkerGenerateChunk chunk = chunks.next();
                timer.tokens(chunk.getTokenCount());
                if (chunk.getFinishReason() != FinishReason.FINISH_REASON_UNSPECIFIED) {
                    finished = true;
                    reported = chunk.hasUsage() ? chunk.getUsage().getCompletionTokens() : 0;
                }
            }
            return finished ? timer.finish(reported) : timer.fail("the stream ended without a finish reason");
        } catch (StatusRuntimeException e) {
            return timer.fail(e.getStatus().getCode() + ": " + e.getStatus().getDescription());
        }
    }

    @Override
    public void close() {
        channel.shutdownNow();
        try {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
