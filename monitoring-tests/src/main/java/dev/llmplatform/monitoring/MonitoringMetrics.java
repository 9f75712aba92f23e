package dev.llmplatform.monitoring;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Every metric name that monitoring/ depends on: the series selected by the Grafana dashboards' queries
 * (panels, rows' panels and templating variables) and by the Prometheus rules, each with where it is used.
 * Names that no service exports are left out: the rules' own recorded series and Prometheus's synthetic
 * ones ({@code up}, {@code scrape_*}, {@code ALERTS}).
 */
public final class MonitoringMetrics {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Pattern PROMETHEUS_OWN = Pattern.compile("up|scrape_.*|ALERTS|ALERTS_FOR_STATE");
    private static final Pattern LABEL_VALUES = Pattern.compile("label_values\\((.+),\\s*[a-zA-Z_][a-zA-Z0-9_]*\\s*\\)", Pattern.DOTALL);
    private static final Pattern QUERY_RESULT = Pattern.compile("query_result\\((.+)\\)", Pattern.DOTALL);
    private static final Pattern HISTOGRAM_SERIES = Pattern.compile("(.+)_(bucket|count|sum|max|gcount|gsum)");

    /** A PromQL expression and where it is written. */
    public record Query(String where, String expr) {
    }

    private final Path root;

    public MonitoringMetrics(Path repositoryRoot) {
        this.root = repositoryRoot;
    }

    public Path dashboardsDir() {
        return root.resolve("monitoring/grafana/dashboards");
    }

    public Path rulesDir() {
        return root.resolve("monitoring/prometheus/rules");
    }

    public List<Path> dashboards() {
        return list(dashboardsDir(), ".json");
    }

    public List<Path> ruleFiles() {
        return list(rulesDir(), ".yml");
    }

    /** Metric name → the places (dashboard panel or rule) that use it, sorted. */
    public SortedMap<String, Set<String>> usedNames() {
        Set<String> recorded = recordedNames();
        SortedMap<String, Set<String>> used = new TreeMap<>();
        for (Query query : queries()) {
            for (String name : PromQl.metricNames(query.expr())) {
                if (!recorded.contains(name) && !PROMETHEUS_OWN.matcher(name).matches()) {
                    used.computeIfAbsent(name, k -> new TreeSet<>()).add(query.where());
                }
            }
        }
        return used;
    }

    /** The names the rules record themselves (never exported by a service). */
    public Set<String> recordedNames() {
        Set<String> recorded = new TreeSet<>();
        for (Map<String, Object> rule : rules()) {
            if (rule.get("record") instanceof String name) {
                recorded.add(name);
            }
        }
        return recorded;
    }

    public List<Query> queries() {
        List<Query> queries = new ArrayList<>();
        for (Path dashboard : dashboards()) {
            JsonNode json = JSON.readTree(dashboard.toFile());
            String title = dashboard.getFileName() + " / ";
            for (JsonNode variable : json.path("templating").path("list")) {
                String query = variable.path("query").isObject() ? variable.path("query").path("query").asString("")
                        : variable.path("query").asString("");
                if (!query.isBlank() && "query".equals(variable.path("type").asString(""))) {
                    queries.add(new Query(title + "variable " + variable.path("name").asString(), variableSelector(query)));
                }
            }
            for (JsonNode panel : panels(json)) {
                for (JsonNode target : panel.path("targets")) {
                    String expr = target.path("expr").asString("");
                    if (!expr.isBlank()) {
                        queries.add(new Query(title + panel.path("title").asString(), expr));
                    }
                }
            }
        }
        for (Map<String, Object> rule : rules()) {
            String name = rule.get("alert") != null ? "alert " + rule.get("alert") : "record " + rule.get("record");
            queries.add(new Query(rule.get("file") + " / " + name, String.valueOf(rule.get("expr"))));
        }
        return queries;
    }

    /**
     * The PromQL inside a Grafana variable query: {@code label_values(selector, label)} → selector,
     * {@code query_result(expr)} → expr; {@code label_values(label)}, {@code label_names()} and
     * {@code metrics(regex)} select no metric.
     */
    static String variableSelector(String query) {
        var labelValues = LABEL_VALUES.matcher(query.strip());
        if (labelValues.matches()) {
            return labelValues.group(1);
        }
        var result = QUERY_RESULT.matcher(query.strip());
        if (result.matches()) {
            return result.group(1);
        }
        return query.strip().matches("(label_values|label_names|metrics)\\(.*\\)") ? "" : query;
    }

    /** The panels of a dashboard in order, those inside collapsed rows included. */
    public static List<JsonNode> panels(JsonNode dashboard) {
        List<JsonNode> panels = new ArrayList<>();
        for (JsonNode panel : dashboard.path("panels")) {
            panels.add(panel);
            for (JsonNode inner : panel.path("panels")) {
                panels.add(inner);
            }
        }
        return panels;
    }

    /** Every rule of every rule file, each with an extra "file" entry. */
    @SuppressWarnings("unchecked")
    public List<Map<String, Object>> rules() {
        List<Map<String, Object>> rules = new ArrayList<>();
        for (Path file : ruleFiles()) {
            Map<String, Object> document;
            try (InputStream in = Files.newInputStream(file)) {
                document = new Yaml(new SafeConstructor(new LoaderOptions())).load(in);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            for (Map<String, Object> group : (List<Map<String, Object>>) document.getOrDefault("groups", List.of())) {
                for (Map<String, Object> rule : (List<Map<String, Object>>) group.getOrDefault("rules", List.of())) {
                    var withFile = new TreeMap<>(rule);
                    withFile.put("file", file.getFileName().toString());
                    rules.add(withFile);
                }
            }
        }
        return rules;
    }

    /**
     * The metric family a series name belongs to: {@code x_bucket}, {@code x_count}, {@code x_sum},
     * {@code x_max} → {@code x}; anything else is its own family.
     */
    public static String family(String series) {
        var m = HISTOGRAM_SERIES.matcher(series);
        return m.matches() ? m.group(1) : series;
    }

    /** The sample names of a Prometheus text exposition (comments and labels removed). */
    public static Set<String> exposedNames(String exposition) {
        Set<String> names = new TreeSet<>();
        exposition.lines().filter(line -> !line.isBlank() && !line.startsWith("#")).forEach(line -> {
            int end = 0;
            while (end < line.length() && line.charAt(end) != '{' && line.charAt(end) != ' ') {
                end++;
            }
            names.add(line.substring(0, end));
        });
        return names;
    }

    /** The used names missing from {@code exposed}, each with where it is used. */
    public SortedMap<String, Set<String>> missingFrom(Collection<String> exposed, Set<String> exempt) {
        SortedMap<String, Set<String>> missing = new TreeMap<>(usedNames());
        missing.keySet().removeIf(name -> exposed.contains(name) || exempt.contains(name));
        return missing;
    }

    private static List<Path> list(Path dir, String suffix) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(suffix)).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
