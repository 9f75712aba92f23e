package dev.llmplatform.worker.cpu.infra;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.llmplatform.worker.cpu.domain.EmbeddingEngine;
import dev.llmplatform.worker.cpu.domain.EmbeddingOutcome;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * A sentence-transformers encoder (a BERT-style ONNX graph plus its Hugging Face tokenizer.json) run on ONNX Runtime:
 * mean pooling of the last hidden states over the attention mask, then L2 normalisation, as sentence-transformers
 * does for all-MiniLM-L6-v2. Inputs are sorted by length and run in padded batches, so short inputs do not pay for
 * long ones; each vector is the same (to float rounding) whatever batch it ran in.
 *
 * <p>The tokenizer is loaded with truncation and padding off, whatever tokenizer.json says: inputs over
 * {@code maxInputTokens} are refused, since silently embedding a prefix would return a vector for text the caller
 * did not send.
 */
public final class OnnxSentenceEncoder implements EmbeddingEngine {

    private final String modelId;
    private final int maxInputTokens;
    private final int batchSize;
    private final OrtEnvironment environment;
    private final OrtSession session;
    private final HuggingFaceTokenizer tokenizer;
    private final boolean takesTokenTypes;
    private final int dimensions;

    public OnnxSentenceEncoder(String modelId, Path model, Path tokenizerJson, int maxInputTokens, int batchSize, int threads) {
        this.modelId = modelId;
        this.maxInputTokens = maxInputTokens;
        this.batchSize = Math.max(1, batchSize);
        try {
            this.tokenizer = HuggingFaceTokenizer.newInstance(tokenizerJson,
                    Map.of("truncation", "false", "padding", "false", "addSpecialTokens", "true"));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read tokenizer " + tokenizerJson + ": " + e.getMessage(), e);
        }
        try {
            this.environment = OrtEnvironment.getEnvironment();
            var options = new OrtSession.SessionOptions();
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            if (threads > 0) {
                options.setIntraOpNumThreads(threads);
            }
            this.session = environment.createSession(model.toString(), options);
            this.takesTokenTypes = session.getInputNames().contains("token_type_ids");
            this.dimensions = run(List.of(tokenizer.encode("dimension probe"))).getFirst().length;
        } catch (OrtException e) {
            tokenizer.close();
            throw new IllegalStateException("cannot load ONNX model " + model + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String modelId() {
        return modelId;
    }

    @Override
    public int dimensions() {
        return dimensions;
    }

    @Override
    public int maxInputTokens() {
        return maxInputTokens;
    }

    @Override
    public EmbeddingOutcome embed(List<String> inputs) {
        Encoding[] encodings = tokenizer.batchEncode(inputs);
        int promptTokens = 0;
        for (int i = 0; i < encodings.length; i++) {
            int tokens = encodings[i].getIds().length;
            if (tokens > maxInputTokens) {
                return new EmbeddingOutcome.InputTooLong(i, tokens, maxInputTokens);
            }
            promptTokens += tokens;
        }
        Integer[] byLength = IntStream.range(0, encodings.length).boxed()
                .sorted(Comparator.comparingInt(i -> encodings[i].getIds().length)).toArray(Integer[]::new);
        float[][] vectors = new float[encodings.length][];
        for (int from = 0; from < byLength.length; from += batchSize) {
            List<Integer> batch = Arrays.asList(byLength).subList(from, Math.min(byLength.length, from + batchSize));
            try {
                List<float[]> embedded = run(batch.stream().map(i -> encodings[i]).toList());
                for (int k = 0; k < batch.size(); k++) {
                    vectors[batch.get(k)] = embedded.get(k);
                }
            } catch (OrtException e) {
                throw new IllegalStateException("ONNX Runtime failed on model " + modelId + ": " + e.getMessage(), e);
            }
        }
        return new EmbeddingOutcome.Embedded(Arrays.asList(vectors), promptTokens);
    }

    /** One forward pass over inputs padded to the longest of them; returns one normalised vector each. */
    private List<float[]> run(List<Encoding> batch) throws OrtException {
        int rows = batch.size();
        int columns = batch.stream().mapToInt(e -> e.getIds().length).max().orElse(0);
        long[] ids = new long[rows * columns];
        long[] mask = new long[rows * columns];
        long[] types = new long[rows * columns];
        for (int r = 0; r < rows; r++) {
            Encoding e = batch.get(r);
            System.arraycopy(e.getIds(), 0, ids, r * columns, e.getIds().length);
            System.arraycopy(e.getAttentionMask(), 0, mask, r * columns, e.getAttentionMask().length);
            System.arraycopy(e.getTypeIds(), 0, types, r * columns, e.getTypeIds().length);
        }
        long[] shape = {rows, columns};
        Map<String, OnnxTensor> feeds = new HashMap<>();
        try {
            feeds.put("input_ids", OnnxTensor.createTensor(environment, LongBuffer.wrap(ids), shape));
            feeds.put("attention_mask", OnnxTensor.createTensor(environment, LongBuffer.wrap(mask), shape));
            if (takesTokenTypes) {
                feeds.put("token_type_ids", OnnxTensor.createTensor(environment, LongBuffer.wrap(types), shape));
            }
            try (OrtSession.Result result = session.run(feeds)) {
                var hidden = (OnnxTensor) result.get(0);
                long[] outShape = hidden.getInfo().getShape();
                return meanPoolAndNormalise(hidden.getFloatBuffer(), mask, rows, columns, (int) outShape[2]);
            }
        } finally {
            feeds.values().forEach(OnnxTensor::close);
        }
    }

    // sentence-transformers: sum(h * mask) / max(sum(mask), 1e-9), then h / max(||h||, 1e-12)
    private static List<float[]> meanPoolAndNormalise(FloatBuffer hidden, long[] mask, int rows, int columns, int width) {
        List<float[]> vectors = new ArrayList<>(rows);
        for (int r = 0; r < rows; r++) {
            double[] sum = new double[width];
            long count = 0;
            for (int c = 0; c < columns; c++) {
                if (mask[r * columns + c] == 0) {
                    continue;
                }
                count++;
                int offset = (r * columns + c) * width;
                for (int d = 0; d < width; d++) {
                    sum[d] += hidden.get(offset + d);
                }
            }
            double norm = 0;
            for (int d = 0; d < width; d++) {
                sum[d] /= Math.max(count, 1e-9);
                norm += sum[d] * sum[d];
            }
            norm = Math.max(Math.sqrt(norm), 1e-12);
            float[] vector = new float[width];
            for (int d = 0; d < width; d++) {
                vector[d] = (float) (sum[d] / norm);
            }
            vectors.add(vector);
        }
        return vectors;
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException(e);
        } finally {
            tokenizer.close();
        }
    }
}
