#!/usr/bin/env bash
# Served-path embedding throughput: starts the platform's five services on free loopback ports (the launcher of
# ./platform up and the end-to-end tests), then sends 256 short sentences through the gateway as requests of 1 and
# of 32 inputs, one at a time; prints the figures and writes them to <out-dir>/embedding-throughput.txt.
# Usage: tools/bench/served-embeddings.sh [out-dir]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
OUT="${1:-$ROOT/bench/target/served-embeddings}"
cd "$ROOT"
if [[ "${SKIP_BUILD:-false}" != true ]]; then
  # -am builds (and repackages) every service the benchmark starts
  MAVEN_OPTS="${MAVEN_OPTS:--Xmx1g}" ./mvnw -B -q -pl bench,model-registry,tokenizer-service,inference-cpu-service,scheduler-service,gateway -am package -DskipTests
fi
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -Xmx512m \
  -cp "$ROOT/bench/target/classes:$(cat "$ROOT/bench/target/classpath.txt")" \
  dev.llmplatform.bench.ServedEmbeddingsBench "$ROOT" "$OUT"
