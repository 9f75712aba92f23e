package dev.llmplatform.monitoring;

import java.util.LinkedHashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metric names a PromQL expression selects: {@code foo}, {@code foo{a="b"}}, {@code foo[5m]} and
 * {@code {__name__="foo"}}. Function and aggregation names, keywords, label names (in matchers and in
 * by/without/on/ignoring/group_left/group_right lists), strings, numbers, durations and Grafana variables
 * are not metric names. Not a full parser: enough for the expressions of our dashboards and rules, and
 * strict where it matters (a name is never missed because of the surrounding syntax).
 */
public final class PromQl {

    private static final Set<String> FUNCTIONS = Set.of(
            "abs", "absent", "absent_over_time", "acos", "acosh", "asin", "asinh", "atan", "atanh", "avg_over_time",
            "ceil", "changes", "clamp", "clamp_max", "clamp_min", "cos", "cosh", "count_over_time", "day_of_month",
            "day_of_week", "day_of_year", "days_in_month", "deg", "delta", "deriv", "exp", "floor",
            "histogram_avg", "histogram_count", "histogram_fraction", "histogram_quantile", "histogram_stddev",
            "histogram_stdvar", "histogram_sum", "holt_winters", "double_exponential_smoothing", "hour", "idelta",
            "increase", "irate", "label_join", "label_replace", "last_over_time", "ln", "log10", "log2",
            "mad_over_time", "max_over_time", "min_over_time", "minute", "month", "pi", "predict_linear",
            "present_over_time", "quantile_over_time", "rad", "rate", "resets", "round", "scalar", "sgn", "sin",
            "sinh", "sort", "sort_desc", "sort_by_label", "sort_by_label_desc", "sqrt", "stddev_over_time",
            "stdvar_over_time", "sum_over_time", "tan", "tanh", "time", "timestamp", "vector", "year",
            // aggregations
            "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk",
            "quantile", "limitk", "limit_ratio",
            // Grafana's templating functions, in case a variable query is passed in
            "label_values", "label_names", "metrics", "query_result");
    private static final Set<String> KEYWORDS = Set.of(
            "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool",
            "atan2", "inf", "nan", "start", "end");
    /** Keywords followed by a parenthesised list of label names. */
    private static final Set<String> LABEL_LIST_KEYWORDS = Set.of("by", "without", "on", "ignoring", "group_left", "group_right");
    private static final Pattern NAME_MATCHER = Pattern.compile("__name__\\s*=\\s*\"([a-zA-Z_:][a-zA-Z0-9_:]*)\"");

    private PromQl() {
    }

    public static Set<String> metricNames(String expr) {
        Set<String> names = new LinkedHashSet<>();
        int i = 0;
        int n = expr.length();
        while (i < n) {
            char c = expr.charAt(i);
            if (c == '"' || c == '\'' || c == '`') {
                i = skipString(expr, i);
            } else if (c == '#') {
                i = skipTo(expr, i, '\n');
            } else if (c == '{') {
                int end = closing(expr, i, '{', '}');
                Matcher m = NAME_MATCHER.matcher(expr.substring(i, end));
                while (m.find()) {
                    names.add(m.group(1));
                }
                i = end;
            } else if (c == '[') {
                i = closing(expr, i, '[', ']');
            } else if (c == '$') {
                i = skipVariable(expr, i);
            } else if (Character.isDigit(c) || (c == '.' && i + 1 < n && Character.isDigit(expr.charAt(i + 1)))) {
                i = skipNumber(expr, i);
            } else if (isNameStart(c)) {
                int start = i;
                while (i < n && isNamePart(expr.charAt(i))) {
                    i++;
                }
                String word = expr.substring(start, i);
                int next = skipSpace(expr, i);
                boolean call = next < n && expr.charAt(next) == '(';
                if (LABEL_LIST_KEYWORDS.contains(word) && call) {
                    i = closing(expr, next, '(', ')');
                } else if (!call && !KEYWORDS.contains(word) && !FUNCTIONS.contains(word)) {
                    names.add(word);
                }
            } else {
                i++;
            }
        }
        return names;
    }

    private static boolean isNameStart(char c) {
        return Character.isLetter(c) || c == '_' || c == ':';
    }

    private static boolean isNamePart(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == ':';
    }

    private static int skipSpace(String s, int i) {
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
            i++;
        }
        return i;
    }

    private static int skipString(String s, int i) {
        char quote = s.charAt(i++);
        while (i < s.length() && s.charAt(i) != quote) {
            i += s.charAt(i) == '\\' && quote != '`' ? 2 : 1;
        }
        return Math.min(s.length(), i + 1);
    }

    private static int skipTo(String s, int i, char end) {
        int at = s.indexOf(end, i);
        return at < 0 ? s.length() : at + 1;
    }

    /** $var, ${var}, ${var:format}, $__rate_interval, [[var]] is handled by the bracket rule. */
    private static int skipVariable(String s, int i) {
        i++;
        if (i < s.length() && s.charAt(i) == '{') {
            return skipTo(s, i, '}');
        }
        while (i < s.length() && isNamePart(s.charAt(i))) {
            i++;
        }
        return i;
    }

    /** Numbers, also 1e3, 0x1f and durations such as 5m or 1h30m. */
    private static int skipNumber(String s, int i) {
        while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '.')) {
            i++;
        }
        return i;
    }

    /** Index just after the bracket that closes the one at {@code open}, skipping strings inside. */
    private static int closing(String s, int open, char opening, char closingChar) {
        int depth = 0;
        int i = open;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '"' || c == '\'' || c == '`') {
                i = skipString(s, i);
                continue;
            }
            if (c == opening) {
                depth++;
            } else if (c == closingChar && --depth == 0) {
                return i + 1;
            }
            i++;
        }
        throw new IllegalArgumentException("unbalanced '" + opening + "' at " + open + " in: " + s);
    }
}
