#!/usr/bin/env bash
# JMH: one placement decision of each cost-based policy (and the least-loaded baseline) at 10, 100 and 1,000
# workers (bench/src/main/java/dev/llmplatform/bench/jmh/PlacementDecisionBenchmark.java, through the scheduler's
# public policy API). Builds the bench module like every JMH run (tools/bench/jmh.sh).
# Usage: tools/bench/placement-decision.sh [extra JMH options, e.g. -f 1 -wi 3 -i 5]
set -euo pipefail
exec "$(cd "$(dirname "$0")" && pwd)/jmh.sh" PlacementDecisionBenchmark "$@"
