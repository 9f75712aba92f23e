package dev.llmplatform.bench;

import java.util.OptionalLong;

/** The sampling every target uses for a run: greedy by default, so all three generate the same tokens. */
public record Sampling(double temperature, int maxTokens, OptionalLong seed) {
}
