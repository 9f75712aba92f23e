package dev.llmplatform.worker.core.api;

import com.google.protobuf.ByteString;
import dev.llmplatform.commons.gguf.GgufMetadata;
import dev.llmplatform.commons.grpc.GrpcStatuses;
import dev.llmplatform.proto.v1.ArtifactRef;
import dev.llmplatform.proto.v1.EvaluateArtifactRequest;
import dev.llmplatform.proto.v1.EvaluateArtifactResponse;
import dev.llmplatform.proto.v1.QuantizeArtifactChunk;
import dev.llmplatform.proto.v1.QuantizeArtifactRequest;
import dev.llmplatform.proto.v1.QuantizeProgress;
import dev.llmplatform.proto.v1.QuantizeResult;
import dev.llmplatform.proto.v1.VariantMeasurements;
import dev.llmplatform.worker.core.infra.Backend;
import dev.llmplatform.worker.core.infra.RegisteredFile;
import dev.llmplatform.worker.core.infra.WorkerDevice;
import dev.llmplatform.worker.core.llama.LlamaLibrary;
import dev.llmplatform.worker.core.llama.LlamaQuantizer;
import dev.llmplatform.worker.core.llama.QuantizationType;
import dev.llmplatform.worker.core.llama.VariantEvaluation;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's artifact tools, QuantizeArtifact and EvaluateArtifact: the engine owns the quantizer, and measuring a
 * variant needs the device it runs on. Both read only files the registry lists (checked against its SHA-256), run one
 * at a time on a thread of their own (quantizing and evaluating are heavy; generation keeps its cores otherwise
 * shared), and a few more may wait. The quantized file goes back to the caller as bytes, so the registry stores it in
 * its own artifact store (no shared volume needed), and the worker deletes its temporary copy.
 */
public final class ArtifactTools implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ArtifactTools.class);
    private static final int CHUNK_BYTES = 1 << 20;
    private static final int WAITING = 4;

    /** Finds the file of an artifact the registry lists; the worker's ModelLoader in service. */
    @FunctionalInterface
    public interface Resolver {
        RegisteredFile resolve(ArtifactRef ref);
    }

    private final WorkerDevice device;
    private final Resolver resolver;
    private final int threads;
    private final ExecutorService runner = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(WAITING),
            Thread.ofPlatform().name("artifact-tools").daemon().factory());

    /** @param threads llama.cpp threads for quantizing and measuring; 0 = one per core */
    public ArtifactTools(WorkerDevice device, Resolver resolver, int threads) {
        this.device = device;
        this.resolver = resolver;
        this.threads = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    }

    public void quantize(QuantizeArtifactRequest request, StreamObserver<QuantizeArtifactChunk> responses) {
        var call = (ServerCallStreamObserver<QuantizeArtifactChunk>) responses;
        Optional<QuantizationType> type = QuantizationType.parse(request.getTargetType());
        if (type.isEmpty() || type.get().isSource() || !type.get().needsNoImportanceMatrix()) {
            call.onError(GrpcStatuses.invalidArgument("target_type '" + request.getTargetType() + "' is not a type llama.cpp's quantizer"
                    + " makes without an importance matrix (e.g. Q8_0, Q6_K, Q5_K_M, Q4_K_M, Q4_0, Q3_K_M)"));
            return;
        }
        submit(call, () -> runQuantize(request.getSource(), type.get(), call));
    }

    public void evaluate(EvaluateArtifactRequest request, StreamObserver<EvaluateArtifactResponse> responses) {
        if (request.getText().isBlank()) {
            responses.onError(GrpcStatuses.invalidArgument("text is required: the held-out text to measure perplexity on"));
            return;
        }
        submit(responses, () -> {
            EvaluateArtifactResponse response = runEvaluate(request);
            responses.onNext(response);
            responses.onCompleted();
        });
    }

    private interface Work {
        void run() throws Exception;
    }

    private void submit(StreamObserver<?> responses, Work work) {
        if (!(device.backend() instanceof Backend.Usable)) {
            responses.onError(Status.UNAVAILABLE.withDescription("this worker has no usable llama.cpp back end").asRuntimeException());
            return;
        }
        try {
            runner.execute(() -> {
                if (responses instanceof ServerCallStreamObserver<?> call && call.isCancelled()) {
                    return;
                }
                try {
                    work.run();
                } catch (StatusRuntimeException e) {
                    fail(responses, e);
                } catch (IllegalArgumentException e) {
                    fail(responses, GrpcStatuses.invalidArgument(String.valueOf(e.getMessage())));
                } catch (Exception e) {
                    log.warn("Artifact tool failed", e);
                    fail(responses, Status.INTERNAL.withDescription(String.valueOf(e.getMessage())).asRuntimeException());
                }
            });
        } catch (RejectedExecutionException busy) {
            responses.onError(GrpcStatuses.resourceExhausted("the worker's quantizer is busy with " + WAITING + " jobs waiting; retry later"));
        }
    }

    private void runQuantize(ArtifactRef source, QuantizationType type, ServerCallStreamObserver<QuantizeArtifactChunk> call)
            throws Exception {
        progress(call, "verifying", 0);
        Path file = find(source);
        checkSource(file);
        Path temp = Files.createTempFile("quantize-", "-" + type.label() + ".gguf");
        try {
            progress(call, "quantizing", 0.05);
            long started = System.nanoTime();
            double[] reported = {0};
            new LlamaQuantizer(library()).quantize(file, temp, type, threads, fraction -> {
                if (fraction - reported[0] >= 0.05 && !call.isCancelled()) {
                    reported[0] = fraction;
                    progress(call, "quantizing", 0.05 + 0.45 * fraction);
                }
            });
            long millis = (System.nanoTime() - started) / 1_000_000;
            long size = Files.size(temp);
            log.info("Quantized {} to {} in {} ms: {} bytes", source.getUri(), type, millis, size);
            progress(call, "sending", 0.5);
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            long sent = 0;
            long lastReported = 0;
            try (InputStream in = Files.newInputStream(temp)) {
                byte[] buffer = new byte[CHUNK_BYTES];
                int n;
                while ((n = in.readNBytes(buffer, 0, buffer.length)) > 0) {
                    awaitReady(call);
                    sha.update(buffer, 0, n);
                    call.onNext(QuantizeArtifactChunk.newBuilder().setData(ByteString.copyFrom(buffer, 0, n)).build());
                    sent += n;
                    if (sent - lastReported >= 16L * CHUNK_BYTES) {
                        progress(call, "sending", 0.5 + 0.5 * sent / size);
                        lastReported = sent;
                    }
                }
            }
            call.onNext(QuantizeArtifactChunk.newBuilder().setResult(QuantizeResult.newBuilder()
                    .setSha256(HexFormat.of().formatHex(sha.digest())).setSizeBytes(sent).setQuantization(type.label())
                    .setQuantizeMillis(millis)).build());
            call.onCompleted();
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    private EvaluateArtifactResponse runEvaluate(EvaluateArtifactRequest request) throws IOException {
        Path file = find(request.getArtifact());
        Optional<Path> reference = request.hasReference() && !request.getReference().getUri().isBlank()
                ? Optional.of(find(request.getReference()))
                : Optional.empty();
        int context = GgufMetadata.read(file).contextLength().map(Long::intValue).filter(c -> c > 0).orElse(512);
        int chunk = Math.min(request.getChunkTokens() > 0 ? request.getChunkTokens() : 512, context);
        int decode = request.getDecodeTokens() > 0 ? request.getDecodeTokens() : 64;
        Backend.Usable usable = (Backend.Usable) device.backend();
        var result = new VariantEvaluation(usable.library(), new VariantEvaluation.Settings(chunk, decode, threads, usable.gpu() ? -1 : 0))
                .evaluate(file, reference, request.getText());
        var measured = VariantMeasurements.newBuilder()
                .setPerplexity(result.perplexity()).setScoredTokens(result.scoredTokens()).setTextName(request.getTextName())
                .setDecodeTokensPerSecond(result.decodeTokensPerSecond()).setMemoryBytes(result.memoryBytes())
                .setDeviceClass(device.deviceClass()).setDevice(usable.device())
                .setMeasuredEpochSeconds(Instant.now().getEpochSecond());
        result.top1Agreement().ifPresent(measured::setTop1Agreement);
        result.klDivergence().ifPresent(measured::setKlDivergence);
        log.info("Measured {}: perplexity {} top-1 {} KL {} decode {} tokens/s, {} bytes", request.getArtifact().getUri(),
                result.perplexity(), result.top1Agreement(), result.klDivergence(), result.decodeTokensPerSecond(), result.memoryBytes());
        return EvaluateArtifactResponse.newBuilder().setMeasurements(measured).build();
    }

    /** A caller that went away cannot hear the error; that is no failure of ours. */
    private static void fail(StreamObserver<?> responses, StatusRuntimeException error) {
        try {
            responses.onError(error);
        } catch (RuntimeException closed) {
            log.debug("Could not report {}: {}", error.getStatus(), closed.toString());
        }
    }

    private Path find(ArtifactRef ref) {
        return switch (resolver.resolve(ref)) {
            case RegisteredFile.Found(Path file) -> file;
            case RegisteredFile.NotListed(String detail) -> {
                log.warn("Artifact tool refused {}: {}", ref.getUri(), detail);
                throw GrpcStatuses.notFound("model '" + ref.getModel() + "' has no registered GGUF artifact with that uri and sha256");
            }
            case RegisteredFile.Unusable(String detail) -> {
                log.warn("Artifact tool cannot use {}: {}", ref.getUri(), detail);
                throw GrpcStatuses.failedPrecondition("the artifact's file is missing or does not match its registered sha256");
            }
        };
    }

    /** Only unquantized weights are quantized: requantizing loses quality twice. */
    private static void checkSource(Path file) throws IOException {
        long fileType = GgufMetadata.read(file).integer("general.file_type").orElse(-1L);
        Optional<QuantizationType> type = QuantizationType.ofFtype(fileType);
        if (type.isEmpty() || !type.get().isSource()) {
            throw GrpcStatuses.invalidArgument("the source is " + type.map(Enum::name).orElse("of file type " + fileType)
                    + ", not F32, F16 or BF16: quantize from the unquantized variant");
        }
    }

    private LlamaLibrary library() {
        return ((Backend.Usable) device.backend()).library();
    }

    private static void progress(ServerCallStreamObserver<QuantizeArtifactChunk> call, String stage, double fraction) {
        call.onNext(QuantizeArtifactChunk.newBuilder().setProgress(QuantizeProgress.newBuilder().setStage(stage).setFraction(fraction)).build());
    }

    /** Sends no faster than the caller reads, so a large file is never buffered whole in memory. */
    private static void awaitReady(ServerCallStreamObserver<?> call) throws InterruptedException {
        while (!call.isReady()) {
            if (call.isCancelled()) {
                throw Status.CANCELLED.withDescription("the caller went away").asRuntimeException();
            }
            Thread.sleep(5);
        }
    }

    @Override
    public void close() {
        runner.shutdownNow();
    }
}
