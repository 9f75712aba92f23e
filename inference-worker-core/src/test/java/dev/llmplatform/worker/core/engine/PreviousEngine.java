package dev.llmplatform.worker.core.engine;

/**
 * What the CPU worker's previous engine (de.kherud's llama.cpp server, 4.2.0, on the default model) answered, recorded
 * when it left the workers: the engine must keep giving the same greedy tokens for the same token ids.
 */
public final class PreviousEngine {

    /** "And God said" as the tokenizer service gives it (no BOS: the model's tokenizer adds none here). */
    public static final int[] PROMPT = {1235, 263, 2174};
    /**
     * The previous CPU engine's greedy text for {@link #PROMPT}, 24 tokens: de.kherud's llama.cpp server (4.2.0),
     * temperature 0, recorded when that engine left the workers. Same model, same tokens in, same text out.
     */
    public static final String GREEDY = " God created he him; and it was so.\nAnd God said, Let there be light: and there was light";

    private PreviousEngine() {
    }
}
