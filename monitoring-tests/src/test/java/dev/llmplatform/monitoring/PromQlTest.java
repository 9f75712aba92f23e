package dev.llmplatform.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PromQlTest {

    @Test
    void findsTheMetricOfAPlainSelector() {
        assertThat(PromQl.metricNames("up")).containsExactly("up");
        assertThat(PromQl.metricNames("scheduler_queue_depth{priority=\"batch\"}")).containsExactly("scheduler_queue_depth");
    }

    @Test
    void skipsFunctionsAggregationsAndTheirLabelLists() {
        String expr = """
                histogram_quantile(0.95,
                  sum by (le, model) (rate(gateway_time_to_first_token_seconds_bucket{route=~"chat|completions"}[5m])))""";

        assertThat(PromQl.metricNames(expr)).containsExactly("gateway_time_to_first_token_seconds_bucket");
    }

    @Test
    void findsEveryOperandOfBinaryExpressionsAndIgnoresMatchingClauses() {
        String expr = """
                sum by (route) (rate(gateway_requests_total{status=~"5.."}[5m]))
                  / on (route) group_left (model)
                sum without (key) (rate(other_total[5m])) > bool 0.05
                  and ignoring (instance) scheduler_workers_ready unless absent(worker_kv_cache_usage)""";

        assertThat(PromQl.metricNames(expr)).containsExactlyInAnyOrder(
                "gateway_requests_total", "other_total", "scheduler_workers_ready", "worker_kv_cache_usage");
    }

    @Test
    void labelValuesStringsDurationsAndGrafanaVariablesAreNotNames() {
        String expr = "sum(rate(http_server_requests_seconds_count{application=\"$application\", uri!~\"/actuator.*\", "
                + "status='sum'}[$__rate_interval] offset 1h30m)) * 1e3 + ${threshold} - 0x1f";

        assertThat(PromQl.metricNames(expr)).containsExactly("http_server_requests_seconds_count");
    }

    @Test
    void findsNamesGivenAsTheNameLabelAndInSubqueries() {
        assertThat(PromQl.metricNames("{__name__=\"worker_batch_size_sum\", model=\"m\"}")).containsExactly("worker_batch_size_sum");
        assertThat(PromQl.metricNames("max_over_time(pool:scheduler_workers_ready:sum[1h:1m])"))
                .containsExactly("pool:scheduler_workers_ready:sum");
    }

    @Test
    void aCommentIsNotAnExpression() {
        assertThat(PromQl.metricNames("# not_a_metric here\nfoo_total")).containsExactly("foo_total");
    }
}
