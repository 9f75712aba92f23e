package dev.llmplatform.registry.domain.batch;

import dev.llmplatform.registry.domain.RegistryException;
import java.time.Duration;
import java.util.regex.Pattern;

/** A batch's completion window: a number and a unit ("24h", OpenAI's only value; "30m", "2d"), at most 7 days. */
public final class CompletionWindow {

    private static final Pattern FORMAT = Pattern.compile("([1-9][0-9]{0,6})([smhd])");
    public static final Duration MAX = Duration.ofDays(7);

    private CompletionWindow() {
    }

    public static Duration parse(String window) {
        var m = FORMAT.matcher(window == null ? "" : window);
        if (!m.matches()) {
            throw new RegistryException.InvalidArgument("completion_window must be a number and a unit (s, m, h or d), e.g. 24h; got '"
                    + window + "'", "completion_window");
        }
        long n = Long.parseLong(m.group(1));
        Duration duration = switch (m.group(2)) {
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
        if (duration.compareTo(MAX) > 0) {
            throw new RegistryException.InvalidArgument("completion_window may be at most 7d; got " + window, "completion_window");
        }
        return duration;
    }
}
