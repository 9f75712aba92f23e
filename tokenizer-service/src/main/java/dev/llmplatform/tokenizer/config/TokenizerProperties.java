package dev.llmplatform.tokenizer.config;

import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * @param registryTarget    gRPC target of the model registry, whose models' tokenizers this service loads
 * @param loadRetryInterval how long to wait before asking the registry again when it is not up yet
 * @param maxTextChars      longest text accepted in one call; longer is INVALID_ARGUMENT, not an out-of-memory
 * @param limits            bounds on the work one call may ask for, checked before any work starts
 * @param registryStateFile where the registry's last known state is kept, so that the service restarted while the
 *                          registry is down loads the tokenizers it had; none when unset
 * @param vocabularyDir     where each model's vocabulary-only copy is written (its tokenizer metadata without the
 *                          weights, a few MB), which llama.cpp opens instead of the model; the JVM's temporary folder
 *                          when unset
 */
@ConfigurationProperties("tokenizer")
public record TokenizerProperties(
        @DefaultValue("static://127.0.0.1:9091") String registryTarget,
        @DefaultValue("2s") Duration loadRetryInterval,
        @DefaultValue("1000000") int maxTextChars,
        @DefaultValue Limits limits,
        Path registryStateFile,
        Path vocabularyDir) {

    /** Where vocabulary-only copies go when {@code tokenizer.vocabulary-dir} is unset. */
    public static final Path DEFAULT_VOCABULARY_DIR = Path.of(System.getProperty("java.io.tmpdir"), "tokenizer-vocabularies");

    /** {@link #vocabularyDir()}, or {@link #DEFAULT_VOCABULARY_DIR} when unset. */
    public Path vocabularies() {
        return vocabularyDir != null ? vocabularyDir : DEFAULT_VOCABULARY_DIR;
    }

    /**
     * Beyond these a call is INVALID_ARGUMENT, so that one request cannot keep the tokenizer busy for long.
     *
     * @param maxMessages   messages in one ApplyChatTemplate call
     * @param maxCharacters characters in one call: the text, or all messages' roles and contents together
     * @param maxTokens     token ids one call may produce (Tokenize, CountTokens, ApplyChatTemplate) or take (Detokenize)
     */
    public record Limits(
            @DefaultValue("4096") int maxMessages,
            @DefaultValue("2000000") long maxCharacters,
            @DefaultValue("1000000") int maxTokens) {
    }
}
