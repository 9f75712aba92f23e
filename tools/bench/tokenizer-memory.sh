#!/usr/bin/env bash
# What opening a model's tokenizer adds to RSS: the tokenizer service's vocabulary-only copy against the whole model
# opened the way the service used to, each in its own JVM, RUNS times alternately (TokenizerMemory.java).
#   tools/bench/tokenizer-memory.sh [model.gguf]        (default: the ~214M bench model, tools/bench/bench-model.sh)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
MODEL="${1:-$("$ROOT/tools/bench/bench-model.sh")}"
CP_FILE="$ROOT/tokenizer-service/target/classpath.txt"
if [[ "${SKIP_BUILD:-false}" != true || ! -f "$CP_FILE" ]]; then
  (cd "$ROOT" && ./mvnw -B -q -pl tokenizer-service -am package -DskipTests \
    && ./mvnw -B -q -pl tokenizer-service dependency:build-classpath -Dmdep.outputFile="$CP_FILE")
fi
CP="$ROOT/tokenizer-service/target/classes:$(cat "$CP_FILE")"
for _ in $(seq 1 "${RUNS:-2}"); do
  for mode in whole vocabulary; do
    "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -Xms256m -Xmx256m -XX:+AlwaysPreTouch -cp "$CP" "$ROOT/tools/bench/TokenizerMemory.java" "$mode" "$MODEL" 2>/dev/null \
      | grep '^mode='
  done
done
