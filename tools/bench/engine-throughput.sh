#!/usr/bin/env bash
# Decode throughput of the workers' engine (ContinuousBatchingEngine over llama.cpp's CPU build, the CPU worker's)
# on the default model: 1, 2, 4 and 8 concurrent greedy streams (bench module, dev.llmplatform.bench.engine.DecodeBench).
# LLAMA_BUILD=prebuilt or host picks the llama.cpp build (default: the one the CPU worker would use here).
# ENGINE=previous runs the same measurement on the previous CPU engine (de.kherud's llama.cpp server, EngineBench.java).
# Usage: tools/bench/engine-throughput.sh [model.gguf] [threads] [tokens-per-stream]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
MODEL="${1:-$ROOT/models/tiny-kjv-chat/tiny-kjv-chat.gguf}"
if [[ "${ENGINE:-core}" == previous ]]; then
  JAR="$HOME/.m2/repository/de/kherud/llama/4.2.0/llama-4.2.0.jar"
  [[ -f "$JAR" ]] || (cd "$ROOT" && ./mvnw -q dependency:get -Dartifact=de.kherud:llama:4.2.0)
  exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -cp "$JAR" "$ROOT/tools/bench/EngineBench.java" "$MODEL" "${2:-2}" "${3:-128}"
fi
source "$ROOT/tools/bench/llama-natives.sh"   # NATIVES: the host build where there is one (LLAMA_BUILD=prebuilt|host)
if [[ "${SKIP_BUILD:-false}" != true || ! -f "$ROOT/bench/target/classpath.txt" ]]; then
  (cd "$ROOT" && ./mvnw -B -q -pl bench,inference-cpu-service -am package -DskipTests)
fi
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED \
  -cp "$ROOT/bench/target/classes:$(cat "$ROOT/bench/target/classpath.txt")" \
  dev.llmplatform.bench.engine.DecodeBench "$NATIVES" "$MODEL" "${3:-128}" 3 "${2:-2}"
