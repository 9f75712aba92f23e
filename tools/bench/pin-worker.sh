#!/usr/bin/env bash
# Gives the running platform's inference workers cores of their own: pins every thread of each worker JVM
# (inference-cpu-service, inference-gpu-service and their ./platform scale replicas) to WORKER_CPUS and every other
# service's JVM to RELAY_CPUS, so that on a small machine the gateway, the scheduler and the tokenizer take no CPU from
# the decode threads, as where they run on other nodes. Run the load generator on RELAY_CPUS too (taskset -c).
#
#   tools/bench/pin-worker.sh [WORKER_CPUS [RELAY_CPUS]]     # default: 0 and 1-(last core)
#
# Reads the pid files of ./platform up (.platform/pids); a worker's threads keep the pinning until it stops.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
last=$(( $(nproc) - 1 ))
(( last >= 1 )) || { echo "error: one core only; nothing to separate" >&2; exit 1; }
worker_cpus="${1:-0}"; relay_cpus="${2:-$( (( last == 1 )) && echo 1 || echo "1-$last")}"
shopt -s nullglob
pidfiles=("$ROOT"/.platform/pids/*.pid)
(( ${#pidfiles[@]} > 0 )) || { echo "error: no platform is running (no $ROOT/.platform/pids/*.pid)" >&2; exit 1; }
for pidfile in "${pidfiles[@]}"; do
  name="$(basename "$pidfile" .pid)"; pid="$(cat "$pidfile")"
  kill -0 "$pid" 2>/dev/null || continue
  case "$name" in
    inference-cpu-service*|inference-gpu-service*) cpus="$worker_cpus" ;;
    *) cpus="$relay_cpus" ;;
  esac
  taskset -a -cp "$cpus" "$pid" > /dev/null
  echo "$name ($pid): CPUs $cpus"
done
