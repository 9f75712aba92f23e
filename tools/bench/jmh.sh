#!/usr/bin/env bash
# JMH benchmarks of the bench module (tokenize, SSE chunk encoding, request parsing, placement decision); never
# part of `verify`.
# Usage: tools/bench/jmh.sh [JMH options, e.g. SseChunkEncoding -f 1 -wi 2 -i 3]
# JMH_JAVA_OPTS adds JVM options, e.g. -Djmh.ignoreLock=true when another JMH run holds /tmp/jmh.lock.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
cd "$ROOT"
if [[ "${SKIP_BUILD:-false}" != true ]]; then
  MAVEN_OPTS="${MAVEN_OPTS:--Xmx1g}" ./mvnw -B -q -pl bench -am package -DskipTests
fi
exec "$JAVA_HOME/bin/java" ${JMH_JAVA_OPTS:-} --enable-native-access=ALL-UNNAMED -Dbench.model="$ROOT/models/tiny-kjv-chat/tiny-kjv-chat.gguf" \
  -cp "$ROOT/bench/target/classes:$(cat "$ROOT/bench/target/classpath.txt")" \
  org.openjdk.jmh.Main "$@"
