package dev.llmplatform.deploy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/** The chart in helm/llm-platform, linted and rendered offline through helm-java (Helm's own Go code). */
final class ChartFixture {

    static final Path REPOSITORY = locateRepository();
    static final Path CHART = REPOSITORY.resolve("helm/llm-platform");
    static final String RELEASE = "llm-platform";
    static final String NAMESPACE = "llm";

    /** The example values files that must lint and render: laptop, CPU-only cluster, CPU+GPU cluster, KEDA. */
    static List<Path> exampleValues() {
        try (Stream<Path> files = Files.list(CHART.resolve("ci"))) {
            return files.filter(p -> p.toString().endsWith("-values.yaml")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path values(String name) {
        return CHART.resolve("ci").resolve(name + "-values.yaml");
    }

    /** Renders the chart with the values files (none: the chart's defaults), as `helm template` does. */
    static Rendered render(Path... valuesFiles) {
        var template = new Helm(CHART).template().withName(RELEASE).withNamespace(NAMESPACE);
        for (Path file : valuesFiles) {
            template = template.withValuesFile(file);
        }
        return Rendered.parse(template.call());
    }

    /**
     * `helm lint --strict` with the chart's defaults overlaid by the values file. helm-java's lint takes no values
     * file, so the chart is copied with the merged values as its values.yaml (the schema then checks them too).
     */
    static LintResult lintStrict(Path valuesFile) {
        Path copy = copyChart();
        try {
            if (valuesFile != null) {
                Map<String, Object> merged = deepMerge(readYaml(CHART.resolve("values.yaml")), readYaml(valuesFile));
                Files.writeString(copy.resolve("values.yaml"), yaml().dump(merged));
            }
            return new Helm(copy).lint().strict().call();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            delete(copy);
        }
    }

    /**
     * The helm test hook, rendered. helm-java's template leaves hooks out, so a copy of the chart carries the hook
     * Pod as a plain template (without its hook annotations) and only it is kept.
     */
    static Map<String, Object> renderTestHook(Path... valuesFiles) {
        Path copy = copyChart();
        try {
            Path hook = copy.resolve("templates/tests/test-chat-completion.yaml");
            String plain = Files.readString(hook).replaceAll("(?m)^\\s+helm\\.sh/hook.*\\n", "");
            Files.delete(hook);
            Files.writeString(copy.resolve("templates/test-chat-completion-plain.yaml"), plain);
            var template = new Helm(copy).template().withName(RELEASE).withNamespace(NAMESPACE);
            for (Path file : valuesFiles) {
                template = template.withValuesFile(file);
            }
            return Rendered.parse(template.call()).only("Pod", RELEASE + "-test-chat-completion");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            delete(copy);
        }
    }

    static Map<String, Object> readYaml(Path file) {
        try {
            Map<String, Object> map = yaml().load(Files.readString(file));
            return map == null ? new LinkedHashMap<>() : map;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Yaml yaml() {
        return new Yaml(new SafeConstructor(new LoaderOptions()));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> deepMerge(Map<String, Object> base, Map<String, Object> overlay) {
        Map<String, Object> merged = new LinkedHashMap<>(base);
        overlay.forEach((key, value) -> {
            if (value instanceof Map<?, ?> o && merged.get(key) instanceof Map<?, ?> b) {
                merged.put(key, deepMerge((Map<String, Object>) b, (Map<String, Object>) o));
            } else {
                merged.put(key, value);
            }
        });
        return merged;
    }

    private static Path copyChart() {
        try {
            Path target = Files.createTempDirectory("llm-platform-chart").resolve("llm-platform");
            try (Stream<Path> files = Files.walk(CHART)) {
                for (Path source : files.toList()) {
                    Path dest = target.resolve(CHART.relativize(source).toString());
                    if (Files.isDirectory(source)) {
                        Files.createDirectories(dest);
                    } else {
                        Files.copy(source, dest);
                    }
                }
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void delete(Path chartCopy) {
        try (Stream<Path> files = Files.walk(chartCopy.getParent())) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path locateRepository() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isDirectory(dir.resolve("helm/llm-platform"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("helm/llm-platform not found above " + Path.of("").toAbsolutePath());
        }
        return dir;
    }

    /** The rendered manifest: its YAML documents as maps, in order. */
    record Rendered(String manifest, List<Map<String, Object>> objects) {

        static Rendered parse(String manifest) {
            List<Map<String, Object>> objects = new ArrayList<>();
            for (Object doc : yaml().loadAll(manifest)) {
                if (doc instanceof Map<?, ?> map && !map.isEmpty()) {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> object = (Map<String, Object>) map;
                    objects.add(object);
                }
            }
            return new Rendered(manifest, objects);
        }

        List<Map<String, Object>> ofKind(String kind) {
            return objects.stream().filter(o -> kind.equals(o.get("kind"))).toList();
        }

        Map<String, Object> only(String kind, String name) {
            var found = objects.stream()
                    .filter(o -> kind.equals(o.get("kind")) && name.equals(Yamls.string(o, "metadata.name")))
                    .toList();
            if (found.size() != 1) {
                throw new AssertionError("expected one " + kind + " " + name + ", found " + found.size());
            }
            return found.getFirst();
        }

        boolean has(String kind, String name) {
            return objects.stream()
                    .anyMatch(o -> kind.equals(o.get("kind")) && name.equals(Yamls.string(o, "metadata.name")));
        }
    }
}
