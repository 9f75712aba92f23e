#!/usr/bin/env bash
# The engine's prompt-side targets (issue 19) on the CPU build: TTFT with a cached 1,000-token prefix against none,
# and the p99 inter-token gap of 4 decoding streams alone and while a 2,000-token prompt is prefilled beside them.
#   tools/bench/prompt-side.sh [model.gguf] [threads] [cached] [long]     (default model: the ~214M bench model)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
MODEL="${1:-$("$ROOT/tools/bench/bench-model.sh")}"
source "$ROOT/tools/bench/llama-natives.sh"   # NATIVES: the host build where there is one (LLAMA_BUILD=prebuilt|host)
if [[ "${SKIP_BUILD:-false}" != true || ! -f "$ROOT/bench/target/classpath.txt" ]]; then
  (cd "$ROOT" && ./mvnw -B -q -pl bench,inference-cpu-service -am package -DskipTests)
fi
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED \
  -cp "$ROOT/bench/target/classes:$(cat "$ROOT/bench/target/classpath.txt")" \
  dev.llmplatform.bench.engine.PrefixAndPrefillBench "$NATIVES" "$MODEL" "${2:-2}" "${3:-1000}" "${4:-2000}" 5
