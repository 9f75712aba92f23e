package dev.llmplatform.gateway.api;

import dev.llmplatform.gateway.domain.TokenUsage;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.stereotype.Component;

/**
 * The gateway.* meters (names and tags are the dashboards' contract, see HELPERS/ARCHITECTURE). A model name
 * comes from the client, so it becomes a tag only once the scheduler has served it: a flood of made-up model
 * names must not make a flood of time series.
 */
@Component
public class GatewayMetrics {

    static final String NO_MODEL = "none";
    private static final int MAX_MODELS = 200;

    private final MeterRegistry meters;
    private final Set<String> servedModels = ConcurrentHashMap.newKeySet();

    public GatewayMetrics(MeterRegistry meters) {
        this.meters = meters;
    }

    /** Called when the scheduler answered for the model: from now on it is a tag value. */
    public void served(String model) {
        if (servedModels.size() < MAX_MODELS) {
            servedModels.add(model);
        }
    }

    String modelTag(String model) {
        return model != null && servedModels.contains(model) ? model : NO_MODEL;
    }

    public void request(String route, String model, int status, String key, Duration duration) {
        String modelTag = modelTag(model);
        meters.counter("gateway.requests", "route", route, "model", modelTag, "status", Integer.toString(status), "key", key)
                .increment();
        Timer.builder("gateway.request.duration").tags("route", route, "model", modelTag, "status", Integer.toString(status))
                .publishPercentileHistogram().register(meters).record(duration);
    }

    public void firstToken(String route, String model, Duration sinceStart) {
        Timer.builder("gateway.time.to.first.token").tags("route", route, "model", modelTag(model))
                .publishPercentileHistogram().register(meters).record(sinceStart);
    }

    /** @param decoding from the first token to the last; spread over the tokens after the first */
    public void outputTokens(String route, String model, Duration decoding, int completionTokens) {
        if (completionTokens > 1) {
            Timer.builder("gateway.time.per.output.token").tags("route", route, "model", modelTag(model))
                    .publishPercentileHistogram().register(meters).record(decoding.dividedBy(completionTokens - 1));
        }
    }

    public void tokens(String model, TokenUsage usage) {
        String modelTag = modelTag(model);
        Counter.builder("gateway.tokens").tags("model", modelTag, "kind", "input").register(meters).increment(usage.promptTokens());
        Counter.builder("gateway.tokens").tags("model", modelTag, "kind", "output").register(meters).increment(usage.completionTokens());
    }
}
