#!/usr/bin/env bash
# Decode throughput of the CPU engine on the default model: 1, 2, 4 and 8 concurrent streams.
# Usage: tools/bench/engine-throughput.sh [model.gguf] [threads] [tokens-per-stream]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
MODEL="${1:-$ROOT/models/tiny-kjv-chat/tiny-kjv-chat.gguf}"
JAR="$HOME/.m2/repository/de/kherud/llama/4.2.0/llama-4.2.0.jar"
[[ -f "$JAR" ]] || (cd "$ROOT" && ./mvnw -q dependency:get -Dartifact=de.kherud:llama:4.2.0)
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -cp "$JAR" "$ROOT/tools/bench/EngineBench.java" "$MODEL" "${2:-2}" "${3:-128}"
