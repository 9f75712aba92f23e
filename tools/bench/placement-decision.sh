#!/usr/bin/env bash
# JMH: one placement decision of each cost-based policy (and the least-loaded baseline) at 10, 100 and 1,000
# workers. Compiles scheduler-service with -Pjmh, which generates the JMH harness for the benchmark in
# src/test/java/dev/llmplatform/scheduler/bench (the normal build compiles it but never runs it).
# Usage: tools/bench/placement-decision.sh [extra JMH options, e.g. -f 1 -wi 3 -i 5]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
CP_FILE="$ROOT/scheduler-service/target/jmh-classpath.txt"
cd "$ROOT"
# the harness is generated at compile time: recompile the test classes with the processor
rm -rf scheduler-service/target/test-classes
./mvnw -B -q -Pjmh -pl scheduler-service -am test-compile dependency:build-classpath \
  -Dmdep.outputFile="$CP_FILE" -Dmdep.includeScope=test
exec "$JAVA_HOME/bin/java" -cp "scheduler-service/target/test-classes:scheduler-service/target/classes:$(cat "$CP_FILE")" \
  org.openjdk.jmh.Main PlacementDecisionBenchmark "$@"
