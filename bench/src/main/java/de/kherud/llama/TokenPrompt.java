package de.kherud.llama;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Lets the benchmark's reference target (de.kherud's llama.cpp, the workers' previous engine) take a prompt that is
 * already tokenized. The binding only exposes a text prompt, but
 * the llama.cpp server code underneath accepts a JSON array of token ids; its parameter map is package-private,
 * hence this one class in the binding's package.
 */
public final class TokenPrompt {

    private TokenPrompt() {
    }

    public static InferenceParameters of(int[] tokenIds) {
        var parameters = new InferenceParameters("");
        parameters.parameters.put("prompt",
                Arrays.stream(tokenIds).mapToObj(Integer::toString).collect(Collectors.joining(",", "[", "]")));
        return parameters;
    }

    /**
     * Whether this is the closing result of a stream. It carries no token of its own: every sampled token,
     * end-of-sequence and control tokens included, arrives in a result before it (with empty text when the token
     * renders as nothing).
     */
    public static boolean isFinal(LlamaOutput output) {
        return output.stop;
    }
}
