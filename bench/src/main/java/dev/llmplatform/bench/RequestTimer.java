package dev.llmplatform.bench;

import java.util.Arrays;

/** Records when each token of one streamed response arrives; one instance per request, used by one thread. */
public final class RequestTimer {

    private final BenchPrompt prompt;
    private final long start = System.nanoTime();
    private long firstToken = -1;
    private long lastToken;
    private int tokens;
    private double[] gaps = new double[64];
    private int gapCount;

    public RequestTimer(BenchPrompt prompt) {
        this.prompt = prompt;
    }

    /** A piece of the response carrying {@code count} tokens arrived now (count 0 is ignored). */
    public void tokens(int count) {
        if (count <= 0) {
            return;
        }
        long now = System.nanoTime();
        if (firstToken < 0) {
            firstToken = now;
            for (int i = 1; i < count; i++) {
                addGap(0); // tokens that came with the first one arrived together with it
            }
        } else {
            double gap = (double) (now - lastToken) / count;
            for (int i = 0; i < count; i++) {
                addGap(gap);
            }
        }
        tokens += count;
        lastToken = now;
    }

    private void addGap(double gap) {
        if (gapCount == gaps.length) {
            gaps = Arrays.copyOf(gaps, gaps.length * 2);
        }
        gaps[gapCount++] = gap;
    }

    public int tokensSoFar() {
        return tokens;
    }

    /** @param reportedOutputTokens the server's own count when it sent one (usage), else what was seen */
    public RequestRecord finish(int reportedOutputTokens) {
        long end = System.nanoTime();
        int output = reportedOutputTokens > 0 ? reportedOutputTokens : tokens;
        return new RequestRecord(prompt.index(), prompt.inputTokens(), output,
                firstToken < 0 ? -1 : firstToken - start, end - start, Arrays.copyOf(gaps, gapCount), null);
    }

    public RequestRecord fail(String error) {
        return new RequestRecord(prompt.index(), prompt.inputTokens(), tokens,
                firstToken < 0 ? -1 : firstToken - start, System.nanoTime() - start, Arrays.copyOf(gaps, gapCount),
                error == null ? "failed" : error);
    }
}
