package dev.llmplatform.registry.infra.quantize;

import dev.llmplatform.proto.v1.ArtifactRef;
import dev.llmplatform.proto.v1.EvaluateArtifactRequest;
import dev.llmplatform.proto.v1.InferenceWorkerGrpc;
import dev.llmplatform.proto.v1.QuantizeArtifactChunk;
import dev.llmplatform.proto.v1.QuantizeArtifactRequest;
import dev.llmplatform.proto.v1.QuantizeProgress;
import dev.llmplatform.proto.v1.QuantizeResult;
import dev.llmplatform.proto.v1.VariantMeasurements;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registry's calls to a worker's artifact tools. The registry starts before the workers, and a worker knows an
 * artifact only once its registry watch delivered it, so UNAVAILABLE and NOT_FOUND are retried until
 * {@code workerWait} has passed; every other status is the answer.
 */
public class WorkerArtifactClient {

    private static final Logger log = LoggerFactory.getLogger(WorkerArtifactClient.class);
    private static final Duration RETRY = Duration.ofSeconds(2);
    /** Quantizing a model of billions of weights takes minutes; measuring one, about as long. */
    private static final Duration CALL_DEADLINE = Duration.ofHours(2);

    private final InferenceWorkerGrpc.InferenceWorkerBlockingStub worker;
    private final Duration workerWait;

    public WorkerArtifactClient(Channel channel, Duration workerWait) {
        this.worker = InferenceWorkerGrpc.newBlockingStub(channel);
        this.workerWait = workerWait;
    }

    /** Writes the quantized file into {@code into} and returns what the worker says it is (checked here). */
    public QuantizeResult quantize(ArtifactRef source, String type, Path into, Consumer<QuantizeProgress> progress)
            throws IOException, InterruptedException {
        return retrying(() -> {
            var digest = sha256();
            try (OutputStream out = Files.newOutputStream(into)) {
                Iterator<QuantizeArtifactChunk> chunks = worker.withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                        .quantizeArtifact(QuantizeArtifactRequest.newBuilder().setSource(source).setTargetType(type).build());
                while (chunks.hasNext()) {
                    QuantizeArtifactChunk chunk = chunks.next();
                    switch (chunk.getPartCase()) {
                        case PROGRESS -> progress.accept(chunk.getProgress());
                        case DATA -> {
                            chunk.getData().writeTo(out);
                            digest.update(chunk.getData().asReadOnlyByteBuffer());
                        }
                        case RESULT -> {
                            out.close();
                            String received = java.util.HexFormat.of().formatHex(digest.digest());
                            QuantizeResult result = chunk.getResult();
                            if (!received.equalsIgnoreCase(result.getSha256()) || Files.size(into) != result.getSizeBytes()) {
                                throw new IOException("the quantized file arrived damaged: the worker sent " + result.getSha256()
                                        + ", " + result.getSizeBytes() + " bytes; received " + received + ", " + Files.size(into));
                            }
                            return result;
                        }
                        case PART_NOT_SET -> { }
                    }
                }
            }
            throw new IOException("the worker ended the quantize stream without a result");
        });
    }

    public VariantMeasurements evaluate(EvaluateArtifactRequest request) throws IOException, InterruptedException {
        return retrying(() -> worker.withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                .evaluateArtifact(request).getMeasurements());
    }

    private interface Call<T> {
        T run() throws IOException;
    }

    private <T> T retrying(Call<T> call) throws IOException, InterruptedException {
        long until = System.nanoTime() + workerWait.toNanos();
        while (true) {
            try {
                return call.run();
            } catch (StatusRuntimeException e) {
                Status.Code code = e.getStatus().getCode();
                boolean notYet = code == Status.Code.UNAVAILABLE || code == Status.Code.NOT_FOUND;
                if (!notYet || System.nanoTime() > until) {
                    throw e;
                }
                log.info("Worker not ready for the artifact yet ({}: {}); asking again in {} s", code, e.getStatus().getDescription(),
                        RETRY.toSeconds());
                Thread.sleep(RETRY);
            }
        }
    }

    private static java.security.MessageDigest sha256() {
        try {
            return java.security.MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
