package dev.llmplatform.bench.jmh;

import dev.llmplatform.proto.v1.TokenizeRequest;
import dev.llmplatform.proto.v1.TokenizeResponse;
import dev.llmplatform.tokenizer.api.TokenizerGrpcService;
import dev.llmplatform.tokenizer.domain.Tokenizers;
import dev.llmplatform.tokenizer.infra.LlamaCppTokenizer;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The tokenizer service's Tokenize call in-process (request checks, model lookup, llama.cpp's tokenizer, the proto
 * response, and whatever else the service is built with, such as a cache), against llama.cpp's encode alone as the
 * reference. The model file is -Dbench.model (default: the
 * repository's default model, relative to the working directory).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class TokenizeBenchmark {

    private static final String VERSE = "And God said, Let there be light: and there was light. ";

    @Param({"1", "16"})
    int verses;

    private Tokenizers tokenizers;
    private LlamaCppTokenizer tokenizer;
    private TokenizerGrpcService service;
    private TokenizeRequest request;
    private String text;

    @Setup(Level.Trial)
    public void load() throws Exception {
        tokenizer = new LlamaCppTokenizer("tiny-kjv-chat",
                Path.of(System.getProperty("bench.model", "models/tiny-kjv-chat/tiny-kjv-chat.gguf")));
        tokenizers = new Tokenizers();
        tokenizers.put(tokenizer);
        // wired like Spring would, so that new collaborators of the service (e.g. a token cache) are included
        service = ConstructorWiring.build(TokenizerGrpcService.class, java.util.Map.of(Tokenizers.class, tokenizers));
        text = VERSE.repeat(verses);
        request = TokenizeRequest.newBuilder().setModel("tiny-kjv-chat").setText(text).setAddSpecialTokens(true).build();
    }

    @TearDown(Level.Trial)
    public void close() {
        tokenizers.close();
    }

    @Benchmark
    public void serviceTokenize(Blackhole bh) {
        service.tokenize(request, new StreamObserver<>() {
            @Override
            public void onNext(TokenizeResponse value) {
                bh.consume(value);
            }

            @Override
            public void onError(Throwable t) {
                throw new IllegalStateException(t);
            }

            @Override
            public void onCompleted() {
            }
        });
    }

    @Benchmark
    public int[] engineEncodeReference() {
        return tokenizer.encode(text, true);
    }
}
