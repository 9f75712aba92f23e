#!/usr/bin/env bash
# Batches planned by energy (docs/batch.md): a platform with two CPU workers of different declared power on free
# loopback ports (the launcher of ./platform up and the end-to-end tests), the same batch planned latency-first and
# energy-first, their time and joules, and interactive TTFT with and without a batch running. Writes
# <out-dir>/batch-energy.md. Usage: tools/bench/batch-energy.sh [out-dir] [lines]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
OUT="${1:-$ROOT/bench/target/batch-energy}"
cd "$ROOT"
if [[ "${SKIP_BUILD:-false}" != true ]]; then
  MAVEN_OPTS="${MAVEN_OPTS:--Xmx1g}" ./mvnw -B -q -pl bench,model-registry,tokenizer-service,inference-cpu-service,scheduler-service,gateway -am package -DskipTests
fi
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -Xmx512m \
  -cp "$ROOT/bench/target/classes:$(cat "$ROOT/bench/target/classpath.txt")" \
  dev.llmplatform.bench.BatchEnergyBench "$ROOT" "$OUT" "${2:-240}"
