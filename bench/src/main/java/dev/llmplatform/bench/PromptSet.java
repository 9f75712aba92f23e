package dev.llmplatform.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Prompts drawn from the model's own domain (King James verses, public domain), each grown word by word until
 * its templated, tokenized form reaches the chosen input length. The same seed gives the same prompts.
 */
public final class PromptSet {

    static final String INSTRUCTION = "Continue the scripture: ";
    private static final List<String> WORDS = words();

    private PromptSet() {
    }

    /**
     * @param inputTokens the length each prompt reaches (templated and tokenized), or just passes by one word
     */
    public static List<BenchPrompt> generate(int count, int inputTokens, long seed, ChatPromptTokenizer tokenizer) {
        if (count < 1 || inputTokens < 1) {
            throw new IllegalArgumentException("count and inputTokens must be positive");
        }
        var random = new SplittableRandom(seed);
        var prompts = new ArrayList<BenchPrompt>(count);
        for (int i = 0; i < count; i++) {
            int start = random.nextInt(WORDS.size());
            var text = new StringBuilder(INSTRUCTION);
            int[] ids = tokenizer.chatPromptIds(text.toString());
            for (int w = 0; ids.length < inputTokens && w < 4 * WORDS.size(); w++) {
                text.append(w == 0 ? "" : " ").append(WORDS.get((start + w) % WORDS.size()));
                ids = tokenizer.chatPromptIds(text.toString());
            }
            prompts.add(new BenchPrompt(i, text.toString(), ids));
        }
        return List.copyOf(prompts);
    }

    private static List<String> words() {
        try (InputStream in = PromptSet.class.getResourceAsStream("kjv-verses.txt")) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return Arrays.stream(text.split("\\s+")).filter(w -> !w.isBlank()).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
