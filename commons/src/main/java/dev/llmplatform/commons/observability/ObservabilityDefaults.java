package dev.llmplatform.commons.observability;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.io.ClassPathResource;
import org.springframework.core.io.support.PropertiesLoaderUtils;
import org.springframework.core.env.PropertiesPropertySource;

/**
 * The observability settings that every service shares (log pattern with trace, span and request ids;
 * tracing off unless sampled by the environment; no OTLP metrics push; latency histograms), in one file
 * instead of six copies. Added as the last property source, so a service's application.yml, its command
 * line and its environment (e.g. MANAGEMENT_TRACING_SAMPLING_PROBABILITY in docker-compose and Helm)
 * override each of them.
 */
public class ObservabilityDefaults implements EnvironmentPostProcessor {

    static final String FILE = "dev/llmplatform/commons/observability/observability-defaults.properties";
    static final String SOURCE_NAME = "llmPlatformObservabilityDefaults";

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        try {
            environment.getPropertySources().addLast(
                    new PropertiesPropertySource(SOURCE_NAME, PropertiesLoaderUtils.loadProperties(new ClassPathResource(FILE))));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + FILE + " from platform-commons", e);
        }
    }
}
