#!/usr/bin/env bash
# Embedding throughput of the CPU worker's engine on all-MiniLM-L6-v2: requests of 1 and 32 short sentences.
# Runs against the classes and libraries inside the worker's executable jar (built if missing).
# Usage: tools/bench/embedding-throughput.sh [threads] [sentences]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
JAR="$ROOT/inference-cpu-service/target/inference-cpu-service-0.1.0-SNAPSHOT-exec.jar"
[[ -f "$JAR" ]] || (cd "$ROOT" && ./mvnw -B -q -pl inference-cpu-service -am package -DskipTests)
LIBS="$ROOT/inference-cpu-service/target/embedding-bench"
rm -rf "$LIBS" && "$JAVA_HOME/bin/java" -Djarmode=tools -jar "$JAR" extract --destination "$LIBS" >/dev/null
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -cp "$LIBS/$(basename "$JAR"):$LIBS/lib/*" \
  "$ROOT/tools/bench/EmbeddingBench.java" "$ROOT/models/all-minilm-l6-v2" "${1:-2}" "${2:-512}"
