package dev.llmplatform.worker.core.domain;

import java.util.List;

/**
 * Ends generation before the first occurrence of a stop string. Text that could still turn into a stop string is
 * held back until the next piece decides, so the caller never sees part of one.
 */
public final class StopStrings {

    /** The text that may be sent now, and whether a stop string was found (then nothing follows it). */
    public record Step(String text, boolean stopped) {
    }

    private final List<String> stops;
    private final StringBuilder held = new StringBuilder();

    public StopStrings(List<String> stops) {
        this.stops = stops.stream().filter(s -> !s.isEmpty()).toList();
    }

    public Step accept(String piece) {
        held.append(piece);
        if (stops.isEmpty()) {
            String all = held.toString();
            held.setLength(0);
            return new Step(all, false);
        }
        int first = -1;
        for (String stop : stops) {
            int at = held.indexOf(stop);
            if (at >= 0 && (first < 0 || at < first)) {
                first = at;
            }
        }
        if (first >= 0) {
            String before = held.substring(0, first);
            held.setLength(0);
            return new Step(before, true);
        }
        int keep = longestSuffixThatStartsAStop();
        String ready = held.substring(0, held.length() - keep);
        held.delete(0, held.length() - keep);
        return new Step(ready, false);
    }

    /** The text still held back when generation ends for another reason. */
    public String flush() {
        String rest = held.toString();
        held.setLength(0);
        return rest;
    }

    private int longestSuffixThatStartsAStop() {
        int longest = 0;
        for (String stop : stops) {
            for (int n = Math.min(stop.length() - 1, held.length()); n > longest; n--) {
                if (held.substring(held.length() - n).equals(stop.substring(0, n))) {
                    longest = n;
                    break;
                }
            }
        }
        return longest;
    }
}
