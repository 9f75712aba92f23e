package de.kherud.llama;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Hands the CPU worker's engine (de.kherud llama) a prompt of token ids, exactly as the CPU worker's TokenPrompt does,
 * so that tests can compare both workers on the same tokens. Its parameter map is package-private.
 */
public final class TokenPromptForTests {

    private TokenPromptForTests() {
    }

    public static InferenceParameters of(int[] tokenIds) {
        var parameters = new InferenceParameters("");
        parameters.parameters.put("prompt",
                Arrays.stream(tokenIds).mapToObj(Integer::toString).collect(Collectors.joining(",", "[", "]")));
        return parameters;
    }
}
