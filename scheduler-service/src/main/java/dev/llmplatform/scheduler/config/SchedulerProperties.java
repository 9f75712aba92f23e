package dev.llmplatform.scheduler.config;

import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * @param tokenizerTarget    gRPC target of the tokenizer service
 * @param workers            the worker pool (static discovery; Kubernetes discovery replaces this in a cluster)
 * @param loadReportInterval how often each worker streams its load
 * @param tokenizerTimeout   deadline of one tokenizer call
 */
@ConfigurationProperties("scheduler")
public record SchedulerProperties(
        @DefaultValue("static://127.0.0.1:9092") String tokenizerTarget,
        @DefaultValue List<Worker> workers,
        @DefaultValue("500ms") Duration loadReportInterval,
        @DefaultValue("10s") Duration tokenizerTimeout) {

    public record Worker(String id, String target) {
    }
}
