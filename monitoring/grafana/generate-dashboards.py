#!/usr/bin/env python3
"""Writes the Grafana dashboards under monitoring/grafana/dashboards/ from the definitions below.

The JSON files are what Grafana provisions and what the tests read (metric coverage, docs/dashboards.md);
this script only saves typing and keeps the layout uniform. After changing it:

    python3 monitoring/grafana/generate-dashboards.py
    ./mvnw -B -q -pl monitoring-tests -am verify -Ddashboards.docs.write=true   # regenerates docs/dashboards.md
"""
import json
import pathlib

OUT = pathlib.Path(__file__).resolve().parent / "dashboards"
DATASOURCE = {"type": "prometheus", "uid": "prometheus"}
R = "[$__rate_interval]"


def q(expr, legend=""):
    return {"expr": expr, "legend": legend}


def ts(title, unit, *queries, description="", stack=False, w=12, h=8):
    return {"kind": "timeseries", "title": title, "unit": unit, "queries": queries, "description": description,
            "stack": stack, "w": w, "h": h}


def stat(title, unit, *queries, description="", w=6, h=4, mappings=None, thresholds=None):
    return {"kind": "stat", "title": title, "unit": unit, "queries": queries, "description": description,
            "w": w, "h": h, "mappings": mappings, "thresholds": thresholds}


def row(title):
    return {"kind": "row", "title": title}


def quantiles(metric, selector, by, legend_prefix, qs=(0.5, 0.95)):
    by_le = ", ".join(["le"] + by)
    matchers = f"{{{selector}}}" if selector else ""
    return [q(f"histogram_quantile({p}, sum by ({by_le}) (rate({metric}_bucket{matchers}{R})))",
              f"p{int(p * 100)} {legend_prefix}") for p in qs]


def jvm_and_grpc(app, grpc_server=True, grpc_client=False):
    sel = app if "=" in app else f'application="{app}"'
    panels = []
    if grpc_server:
        panels += [
            row("gRPC server (Spring gRPC observations)"),
            ts("gRPC calls handled by method and status", "reqps",
               q(f'sum by (rpc_method, grpc_status_code) (rate(grpc_server_seconds_count{{{sel}}}{R}))',
                 "{{rpc_method}} {{grpc_status_code}}"),
               description="Every call the service's gRPC server finished, by method and gRPC status."),
            ts("gRPC server latency p95 by method", "s",
               q(f'histogram_quantile(0.95, sum by (le, rpc_method) (rate(grpc_server_seconds_bucket{{{sel}}}{R})))',
                 "{{rpc_method}}"),
               description="Streaming calls (Generate, WatchLoad) last as long as the stream."),
        ]
    if grpc_client:
        panels += [
            row("gRPC client (calls this service makes)"),
            ts("Outgoing gRPC calls by method and status", "reqps",
               q(f'sum by (rpc_method, grpc_status_code) (rate(grpc_client_seconds_count{{{sel}}}{R}))',
                 "{{rpc_method}} {{grpc_status_code}}")),
            ts("Outgoing gRPC latency p95 by method", "s",
               q(f'histogram_quantile(0.95, sum by (le, rpc_method) (rate(grpc_client_seconds_bucket{{{sel}}}{R})))',
                 "{{rpc_method}}")),
        ]
    panels += [
        row("JVM and process"),
        ts("Heap used", "bytes", q(f'sum by (instance) (jvm_memory_used_bytes{{{sel}, area="heap"}})', "{{instance}} used"),
           q(f'sum by (instance) (jvm_memory_max_bytes{{{sel}, area="heap"}} > 0)', "{{instance}} max"), w=8),
        ts("GC pause time share", "percentunit",
           q(f'sum by (instance) (rate(jvm_gc_pause_seconds_sum{{{sel}}}{R}))', "{{instance}}"), w=8),
        ts("Process CPU", "percentunit", q(f'process_cpu_usage{{{sel}}}', "{{instance}}"),
           q(f'jvm_threads_live_threads{{{sel}}} / 1000', "{{instance}} live threads / 1000"), w=8),
    ]
    return panels


def http_panels(app, uri_filter='uri!~"/actuator.*"'):
    sel = f'application="{app}", {uri_filter}'
    return [
        row("HTTP server (Spring Boot)"),
        ts("HTTP requests by status", "reqps",
           q(f'sum by (status) (rate(http_server_requests_seconds_count{{{sel}}}{R}))', "{{status}}")),
        ts("HTTP latency p50 / p95", "s",
           *quantiles("http_server_requests_seconds", sel, [], "")),
    ]


BREAKER_MAPPINGS = [{"type": "value", "options": {"0": {"text": "closed", "color": "green"},
                                                   "1": {"text": "OPEN", "color": "red"}}}]
UP_MAPPINGS = [{"type": "value", "options": {"0": {"text": "DOWN", "color": "red"},
                                              "1": {"text": "UP", "color": "green"}}}]

GW = 'application="gateway"'

DASHBOARDS = {
    "platform-overview": {
        "title": "LLM Platform — overview",
        "description": "What to open first: traffic, errors, latency to the first token, throughput, queue, workers, energy, breakers.",
        "panels": [
            row("Health"),
            stat("Services up", "none", q('up{job=~"llm-platform.*"}', "{{service}}"), w=24, mappings=UP_MAPPINGS,
                 description="1 when Prometheus could scrape the service's /actuator/prometheus."),
            stat("Request rate", "reqps", q(f'sum(rate(gateway_requests_total{R}))'),
                 description="API requests answered by the gateway, all routes and statuses."),
            stat("Error ratio (5xx)", "percentunit",
                 q(f'sum(rate(gateway_requests_total{{status=~"5.."}}{R})) / sum(rate(gateway_requests_total{R}))'),
                 thresholds=[(None, "green"), (0.01, "orange"), (0.05, "red")]),
            stat("Workers ready", "none", q('sum(scheduler_workers_ready)'),
                 thresholds=[(None, "red"), (1, "green")],
                 description="Workers the scheduler can place requests on right now."),
            stat("Circuit breakers open", "none",
                 q('sum(resilience4j_circuitbreaker_state{state="open"}) or vector(0)'),
                 thresholds=[(None, "green"), (1, "red")]),
            row("Traffic and errors"),
            ts("Requests by route and status", "reqps",
               q(f'sum by (route, status) (rate(gateway_requests_total{R}))', "{{route}} {{status}}"), stack=True),
            ts("Error ratio by route", "percentunit",
               q(f'sum by (route) (rate(gateway_requests_total{{status=~"5.."}}{R})) / sum by (route) (rate(gateway_requests_total{R}))',
                 "{{route}}")),
            row("Latency"),
            ts("Time to first token p50 / p95", "s",
               *quantiles("gateway_time_to_first_token_seconds", "", [], ""),
               description="From the request's arrival at the gateway to its first generated token."),
            ts("Time per output token p50 / p95", "s",
               *quantiles("gateway_time_per_output_token_seconds", "", [], ""),
               description="Mean gap between output tokens of a request (decode speed seen by the client)."),
            row("Throughput and capacity"),
            ts("Tokens per second (input / output)", "short",
               q(f'sum by (kind) (rate(gateway_tokens_total{R}))', "{{kind}}")),
            ts("Queue depth by priority", "short", q('sum by (priority) (scheduler_queue_depth)', "{{priority}}"),
               stack=True),
            ts("Workers ready and desired replicas by pool", "short",
               q('sum by (pool) (scheduler_workers_ready)', "ready {{pool}}"),
               q('sum by (pool) (scheduler_desired_replicas)', "desired {{pool}}")),
            ts("Energy per output token by pool", "none",
               q(f'sum by (pool) (rate(scheduler_energy_per_token_joules_sum{R})) / sum by (pool) (rate(scheduler_energy_per_token_joules_count{R}))',
                 "{{pool}} J/token"),
               description="Mean joules per output token of the requests finished in the interval."),
            ts("Circuit breaker state", "none",
               q('max by (name, state) (resilience4j_circuitbreaker_state{state!="closed"})', "{{name}} {{state}}"),
               description="1 while the gateway's breaker towards the scheduler is in that state."),
        ],
    },
    "gateway": {
        "title": "LLM Platform — gateway",
        "description": "The OpenAI-compatible API: requests, latency, tokens, rate limits and the breaker towards the scheduler.",
        "panels": [
            row("Requests"),
            ts("Requests by route and status", "reqps",
               q(f'sum by (route, status) (rate(gateway_requests_total{R}))', "{{route}} {{status}}"), stack=True),
            ts("Requests by API key", "reqps", q(f'sum by (key) (rate(gateway_requests_total{R}))', "{{key}}"),
               description="The key tag is the key's name or a short fingerprint, never the secret."),
            ts("Request duration p95 by route", "s",
               q(f'histogram_quantile(0.95, sum by (le, route) (rate(gateway_request_duration_seconds_bucket{R})))',
                 "{{route}}")),
            ts("Error ratio (5xx) by model", "percentunit",
               q(f'sum by (model) (rate(gateway_requests_total{{status=~"5.."}}{R})) / sum by (model) (rate(gateway_requests_total{R}))',
                 "{{model}}")),
            row("Generation latency"),
            ts("Time to first token p50 / p95 by model", "s",
               *quantiles("gateway_time_to_first_token_seconds", "", ["model"], "{{model}}")),
            ts("Time per output token p50 / p95 by model", "s",
               *quantiles("gateway_time_per_output_token_seconds", "", ["model"], "{{model}}")),
            row("Tokens and limits"),
            ts("Tokens per second by model and kind", "short",
               q(f'sum by (model, kind) (rate(gateway_tokens_total{R}))', "{{model}} {{kind}}")),
            ts("Rate-limit rejections", "reqps",
               q(f'sum by (limit) (rate(gateway_ratelimit_rejections_total{R}))', "{{limit}}")),
            ts("Circuit breaker state", "none",
               q('max by (name, state) (resilience4j_circuitbreaker_state)', "{{name}} {{state}}")),
            ts("Circuit breaker failure rate", "percent",
               q('max by (name) (resilience4j_circuitbreaker_failure_rate)', "{{name}}"),
               description="-1 until the breaker has seen its minimum number of calls."),
        ] + http_panels("gateway") + jvm_and_grpc("gateway", grpc_server=False, grpc_client=True),
    },
    "scheduler": {
        "title": "LLM Platform — scheduler",
        "description": "Admission, queue, placement, failover, energy and the autoscaling signals of the scheduler.",
        "panels": [
            row("Queue and admission"),
            ts("Queue depth by priority", "short", q('sum by (priority) (scheduler_queue_depth)', "{{priority}}"),
               stack=True),
            ts("Queue wait p50 / p95 by priority", "s",
               *quantiles("scheduler_queue_wait_seconds", "", ["priority"], "{{priority}}")),
            ts("Admission rejections by reason", "reqps",
               q(f'sum by (reason) (rate(scheduler_admission_rejections_total{R}))', "{{reason}}")),
            ts("Failovers and resumes", "reqps", q(f'sum(rate(scheduler_failovers_total{R}))', "failovers"),
               q(f'sum(rate(scheduler_resumes_total{R}))', "resumes"),
               description="Requests moved to another worker after theirs failed: before the first token (failovers), "
                           "or mid-stream, resumed from the tokens already sent (resumes)."),
            row("Placement"),
            ts("Placements by pool and outcome", "reqps",
               q(f'sum by (pool, outcome) (rate(scheduler_placements_total{R}))', "{{pool}} {{outcome}}"), stack=True),
            ts("Placements by policy", "reqps",
               q(f'sum by (policy) (rate(scheduler_placements_total{R}))', "{{policy}}")),
            ts("Finish time: estimated vs actual (p50) by pool", "s",
               q(f'histogram_quantile(0.5, sum by (le, pool) (rate(scheduler_finish_estimated_seconds_bucket{R})))',
                 "estimated {{pool}}"),
               q(f'histogram_quantile(0.5, sum by (le, pool) (rate(scheduler_finish_actual_seconds_bucket{R})))',
                 "actual {{pool}}")),
            ts("Pool throughput", "short", q('sum by (pool) (scheduler_pool_tokens_per_second)', "{{pool}} tokens/s")),
            row("Energy and capacity"),
            ts("Energy per request by pool", "none",
               q(f'sum by (pool) (rate(scheduler_energy_joules_sum{R})) / sum by (pool) (rate(scheduler_energy_joules_count{R}))',
                 "{{pool}} J/request")),
            ts("Energy per output token by pool", "none",
               q(f'sum by (pool) (rate(scheduler_energy_per_token_joules_sum{R})) / sum by (pool) (rate(scheduler_energy_per_token_joules_count{R}))',
                 "{{pool}} J/token")),
            ts("Workers ready vs desired replicas", "short",
               q('sum by (pool) (scheduler_workers_ready)', "ready {{pool}}"),
               q('sum by (pool) (scheduler_desired_replicas)', "desired {{pool}}"),
               description="Desired replicas is the signal the Kubernetes autoscaler follows."),
            row("Batches (planned by energy)"),
            ts("Batch power: estimated vs measured", "watt",
               q(f'sum by (kind) (rate(scheduler_batch_energy_joules_total{R}))', "{{kind}}"),
               description="Joules per second spent on batch lines: as the cost model estimated each where it was placed, "
                           "and as measured (the line's time on its worker x the worker's dynamic watts). docs/batch.md."),
            ts("Batch energy per token", "none",
               q(f'sum by (kind) (rate(scheduler_batch_energy_joules_total{R})) / scalar(sum(rate(scheduler_batch_tokens_total{R})))',
                 "{{kind}} J/token")),
            ts("Batch lines and tokens", "short",
               q(f'sum by (outcome) (rate(scheduler_batch_lines_total{R}))', "lines {{outcome}}/s"),
               q(f'sum by (kind) (rate(scheduler_batch_tokens_total{R}))', "tokens {{kind}}/s")),
            ts("Current batch plan: estimated finish and energy", "short",
               q('max(scheduler_batch_plan_finish_seconds)', "finish [s]"),
               q('sum(scheduler_batch_plan_energy_joules)', "energy [J]"),
               description="The plan of the batch being run (0 when none): its estimated finish from when it was made and "
                           "its estimated energy. Each worker's share is scheduler_batch_plan_share{worker}."),
        ] + jvm_and_grpc("scheduler-service", grpc_server=True, grpc_client=True),
    },
    "workers": {
        "title": "LLM Platform — workers",
        "description": "CPU and GPU inference workers: generations, batching, throughput, KV cache, model loads, GPUs.",
        "panels": [
            row("Generations"),
            ts("Generations by outcome", "reqps",
               q(f'sum by (application, outcome) (rate(worker_generations_total{R}))', "{{application}} {{outcome}}"),
               stack=True),
            ts("Sequences running / waiting", "short",
               q('sum by (instance, model) (worker_sequences_running)', "running {{instance}} {{model}}"),
               q('sum by (instance, model) (worker_sequences_waiting)', "waiting {{instance}} {{model}}")),
            ts("Mean batch size", "short",
               q(f'sum by (instance) (rate(worker_batch_size_sum{R})) / sum by (instance) (rate(worker_batch_size_count{R}))',
                 "{{instance}}")),
            ts("Embeddings", "reqps", q(f'sum by (model) (rate(worker_embeddings_total{R}))', "{{model}}")),
            row("Throughput and memory"),
            ts("Prefill tokens per second", "short",
               q('sum by (instance, model) (worker_prefill_tokens_per_second)', "{{instance}} {{model}}")),
            ts("Decode tokens per second", "short",
               q('sum by (instance, model) (worker_decode_tokens_per_second)', "{{instance}} {{model}}")),
            ts("KV cache usage", "percentunit",
               q('max by (instance, model) (worker_kv_cache_usage)', "{{instance}} {{model}}")),
            ts("Model load time", "s",
               q(f'sum by (model, variant) (rate(worker_model_load_seconds_sum{R})) / sum by (model, variant) (rate(worker_model_load_seconds_count{R}))',
                 "{{model}} {{variant}}"),
               q('max by (model, variant) (worker_model_load_seconds_max)', "max {{model}} {{variant}}")),
            row("GPUs (inference-gpu-service)"),
            ts("GPU utilization", "percent", q('max by (instance, gpu) (worker_gpu_utilization)', "{{instance}} gpu {{gpu}}"),
               w=8),
            ts("GPU memory used", "bytes",
               q('max by (instance, gpu) (worker_gpu_memory_used_bytes)', "{{instance}} gpu {{gpu}}"), w=8),
            ts("GPU power", "watt", q('max by (instance, gpu) (worker_gpu_power_watts)', "{{instance}} gpu {{gpu}}"), w=8),
        ] + jvm_and_grpc('application=~"inference-(cpu|gpu)-service"', grpc_server=True),
    },
    "tokenizer": {
        "title": "LLM Platform — tokenizer",
        "description": "Tokenize / chat-template service: cache effectiveness and gRPC traffic.",
        "panels": [
            row("Cache"),
            stat("Cache hit ratio", "percentunit",
                 q(f'sum(rate(tokenizer_cache_total{{result="hit"}}{R})) / sum(rate(tokenizer_cache_total{R}))'), w=8,
                 thresholds=[(None, "orange"), (0.3, "green")]),
            ts("Cache lookups by result", "reqps",
               q(f'sum by (result) (rate(tokenizer_cache_total{R}))', "{{result}}"), w=16, h=4),
        ] + jvm_and_grpc("tokenizer-service", grpc_server=True),
    },
    "registry": {
        "title": "LLM Platform — model registry",
        "description": "Registered models by stage, artifact downloads and the registry's APIs.",
        "panels": [
            row("Models and artifacts"),
            ts("Models by stage", "short", q('sum by (stage) (registry_models)', "{{stage}}"), stack=True),
            ts("Artifact bytes served", "Bps", q(f'sum(rate(registry_artifact_bytes_served_total{R}))', "bytes/s"),
               description="Model files streamed to workers and tokenizers."),
        ] + http_panels("model-registry") + jvm_and_grpc("model-registry", grpc_server=True),
    },
}


def build(uid, spec):
    panels, y, x, row_h, pid = [], 0, 0, 0, 1
    for p in spec["panels"]:
        if p["kind"] == "row":
            if x:
                y, x = y + row_h, 0
            panels.append({"id": pid, "type": "row", "title": p["title"], "collapsed": False,
                           "gridPos": {"h": 1, "w": 24, "x": 0, "y": y}, "panels": []})
            y, row_h, pid = y + 1, 0, pid + 1
            continue
        if x + p["w"] > 24:
            y, x, row_h = y + row_h, 0, 0
        defaults = {"unit": p["unit"]}
        if p["kind"] == "timeseries":
            defaults["custom"] = {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10, "showPoints": "never",
                                  "stacking": {"mode": "normal" if p["stack"] else "none", "group": "A"}}
            options = {"legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
                       "tooltip": {"mode": "multi", "sort": "desc"}}
        else:
            options = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                       "colorMode": "background" if p.get("mappings") or p.get("thresholds") else "value",
                       "graphMode": "none", "textMode": "auto", "orientation": "auto", "justifyMode": "auto"}
            if p.get("mappings"):
                defaults["mappings"] = p["mappings"]
            steps = p.get("thresholds") or [(None, "blue")]
            defaults["thresholds"] = {"mode": "absolute", "steps": [{"color": c, "value": v} for v, c in steps]}
            defaults["color"] = {"mode": "thresholds"}
        targets = [{"refId": chr(ord("A") + i), "datasource": DATASOURCE, "expr": t["expr"],
                    "legendFormat": t["legend"] or "__auto", "range": True} for i, t in enumerate(p["queries"])]
        panels.append({"id": pid, "type": p["kind"], "title": p["title"], "description": p["description"],
                       "datasource": DATASOURCE, "gridPos": {"h": p["h"], "w": p["w"], "x": x, "y": y},
                       "fieldConfig": {"defaults": defaults, "overrides": []}, "options": options,
                       "targets": targets})
        pid += 1
        x += p["w"]
        row_h = max(row_h, p["h"])
        if x >= 24:
            y, x, row_h = y + row_h, 0, 0
    links = [] if uid == "llm-platform-overview" else [
        {"title": "Overview", "type": "link", "url": "/d/llm-platform-overview", "icon": "dashboard"}]
    return {
        "uid": uid, "title": spec["title"], "description": spec["description"],
        "tags": ["llm-platform"], "timezone": "browser", "editable": False, "graphTooltip": 1,
        "refresh": "30s", "schemaVersion": 39, "version": 1, "time": {"from": "now-1h", "to": "now"},
        "timepicker": {}, "templating": {"list": []}, "annotations": {"list": []},
        "links": links + [{"title": "Dashboards", "type": "dashboards", "tags": ["llm-platform"], "asDropdown": True}],
        "panels": panels,
    }


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for name, spec in DASHBOARDS.items():
        uid = "llm-platform-overview" if name == "platform-overview" else f"llm-platform-{name}"
        (OUT / f"{name}.json").write_text(json.dumps(build(uid, spec), indent=2, ensure_ascii=False) + "\n")
        print(f"wrote {OUT / (name + '.json')}")


if __name__ == "__main__":
    main()
