#!/usr/bin/env bash
# Serving benchmark: starts the platform's five services on free loopback ports (never the fixed ones of
# ./platform up), then sends the same prompt set at concurrency 1, 4 and 8 to the gateway, to the CPU worker
# over gRPC and to llama.cpp in-process, and writes serve-bench.{json,md} under the out dir.
# Usage: tools/bench/serve-bench.sh [out-dir] [serve-bench options, e.g. --num-prompts 64 --slo-ttft-ms 500]
# Defaults (see --help): concurrency 1,4,8; 32 prompts of 64 tokens; max_tokens 64; greedy; 2 threads, 8 slots.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
OUT="${1:-$ROOT/bench/target/serve-bench}"
shift || true
cd "$ROOT"
if [[ "${SKIP_BUILD:-false}" != true ]]; then
  # -am builds (and repackages) every service the benchmark starts; tests were run by the normal build
  MAVEN_OPTS="${MAVEN_OPTS:--Xmx1g}" ./mvnw -B -q -pl bench,model-registry,tokenizer-service,inference-cpu-service,scheduler-service,gateway -am package -DskipTests
fi
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -Xmx1g \
  -cp "$ROOT/bench/target/classes:$(cat "$ROOT/bench/target/classpath.txt")" \
  dev.llmplatform.bench.ServeBench \
  --launch-platform --platform-root "$ROOT" --out "$OUT" "$@"
