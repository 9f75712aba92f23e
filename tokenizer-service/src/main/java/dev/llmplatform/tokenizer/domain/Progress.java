package dev.llmplatform.tokenizer.domain;

/**
 * Lets a long piece of work stop early. Tokenizing and templating call it between pieces of text and between
 * messages; an implementation throws to abandon the work (the caller went away, or the output grew past a limit).
 */
@FunctionalInterface
public interface Progress {

    /** Never stops anything: for callers with nothing to watch. */
    Progress NONE = tokens -> {
    };

    /** @param tokens the tokens produced so far in this call */
    void check(int tokens);
}
