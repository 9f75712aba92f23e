#!/usr/bin/env bash
# What the relay costs in CPU per request: samples, every INTERVAL seconds, the CPU time (user + system, from
# /proc/PID/stat) of each platform service's JVM and the gateway's served request count (gateway_requests_total on
# its management port), while a benchmark runs on this machine; then says, per stretch of requests, how much CPU
# each service spent per request, and how much of it the JIT compiler threads (C1, C2) took: until a relay's code has
# been called some 10,000 times, compiling it is a large part of what the relay costs (docs/benchmarks.md).
#
#   tools/bench/relay-cpu.sh sample OUT.tsv [INTERVAL]     # until the gateway's JVM is gone (or Ctrl-C)
#   tools/bench/relay-cpu.sh report OUT.tsv [FROM [TO]]    # ms per request between the samples at FROM and TO requests
#   tools/bench/relay-cpu.sh net OUT.tsv FROM TO           # the same, less each service's idle CPU: its rate while the
#                                                          # count stood at FROM (the run's other targets, e.g. the
#                                                          # worker called directly), times the serving time
#
# The services are found by their executable jars (<service>-<version>-exec.jar), as the platform launcher starts
# them (./platform up, serve-bench.sh). Only loopback is read.
set -euo pipefail
SERVICES=(gateway scheduler-service tokenizer-service inference-cpu-service model-registry)
mode="${1:-}"; out="${2:-}"
[[ -n "$mode" && -n "$out" ]] || { sed -n 2,12p "$0"; exit 2; }

cpu_seconds() { # pid -> CPU seconds of the process (all its threads)
  awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$1/stat" 2>/dev/null || echo NA
}
jit_seconds() { # pid -> CPU seconds of its live JIT compiler threads (on 2 cores the JVM keeps one C1 and one C2)
  cat "/proc/$1"/task/*/stat 2>/dev/null | awk -v hz="$(getconf CLK_TCK)" '
    { comm = $0; sub(/^[0-9]+ \(/, "", comm); sub(/\) [A-Za-z] .*/, "", comm)   # the name may hold spaces
      rest = $0; sub(/.*\) /, "", rest); split(rest, f, " ")                      # f[12], f[13]: utime, stime
      if (comm ~ /^C[12] CompilerThre/) { s += f[12] + f[13]; found = 1 } }
    END { if (found) printf "%.2f", s / hz; else print "NA" }'
}
pid_of() { pgrep -f -- "/$1-[0-9.]*[A-Z-]*-exec.jar" | head -1 || true; }

case "$mode" in
sample)
  interval="${3:-5}"
  printf 't\t%s\t%s\trequests\n' "$(IFS=$'\t'; echo "${SERVICES[*]}")" \
    "$(printf '%s.jit\n' "${SERVICES[@]}" | paste -sd $'\t')" > "$out"
  metrics=""; seen=false
  while true; do
    gateway="$(pid_of gateway)"
    if [[ -z "$gateway" ]]; then
      $seen && break
      sleep "$interval"; continue
    fi
    seen=true
    if [[ -z "$metrics" ]]; then
      for port in $(ss -ltnp 2>/dev/null | grep "pid=$gateway," | awk '{print $4}' | sed 's/.*://'); do
        body="$(curl -sf -m 1 "http://127.0.0.1:$port/actuator/prometheus" || true)"
        if grep -q '^gateway_requests_total' <<<"$body"; then
          metrics="http://127.0.0.1:$port/actuator/prometheus"; break
        fi
      done
    fi
    row="$(date +%s)"; jit=""
    for service in "${SERVICES[@]}"; do
      pid="$(pid_of "$service")"
      row+=$'\t'"$([[ -n "$pid" ]] && cpu_seconds "$pid" || echo NA)"
      jit+=$'\t'"$([[ -n "$pid" ]] && jit_seconds "$pid" || echo NA)"
    done
    row+="$jit"
    requests=NA
    if [[ -n "$metrics" ]]; then
      body="$(curl -sf -m 2 "$metrics" || true)"
      requests="$(awk '/^gateway_requests_total/ {s += $NF; found = 1} END {if (found) printf "%d", s; else print "NA"}' <<<"$body")"
    fi
    echo "$row"$'\t'"$requests" >> "$out"
    sleep "$interval"
  done
  ;;
report|net)
  if [[ "$mode" == net ]]; then from="${3:?FROM}"; to="${4:?TO}"; else from="${3:-0}"; to="${4:-999999999}"; fi
  # only the intervals in which the gateway served requests count, so that the other targets' runs of a benchmark
  # (the worker or llama-server called directly) are left out; net also takes their rate as each service's idle CPU
  awk -F'\t' -v from="$from" -v to="$to" -v net="$([[ "$mode" == net ]] && echo 1 || echo 0)" '
    NR == 1 { for (i = 2; i < NF; i++) name[i] = $i; n = NF; k = (n - 2) / 2; next }  # k services, then their JIT
    {
      if (had && $n ~ /^[0-9]+$/ && prev[n] ~ /^[0-9]+$/) {
        dt = $1 - prev[1]
        serving = $n > prev[n] && prev[n] >= from && $n <= to
        idle = $n == prev[n] && $n == from
        if (serving) { st += dt; served += $n - prev[n] }
        if (idle) it += dt
        for (i = 2; i < n; i++) if ($i != "NA" && prev[i] != "NA") {
          if (serving) { cpu[i] += $i - prev[i]; seen[i] = 1 }
          if (idle) rest[i] += $i - prev[i]
        }
      }
      had = 1
      for (i = 1; i <= n; i++) prev[i] = $i
    }
    END {
      if (served == 0) { print "no requests served between " from " and " to; exit 1 }
      if (net && it == 0) { print "no idle samples at " from " requests to take out"; exit 1 }
      printf "%d requests served between %d and %d in %d s\n", served, from, to, st
      for (i = 2; i < 2 + k; i++) {
        j = i + k
        if (!seen[i]) { printf "  %-22s not running\n", name[i]; continue }
        total = net ? cpu[i] - rest[i] / it * st : cpu[i]; jit = net ? cpu[j] - rest[j] / it * st : cpu[j]
        printf "  %-22s %7.2f ms CPU per request, %7.2f without JIT threads", name[i], total * 1000 / served, (total - jit) * 1000 / served
        if (net) printf " (idle %5.1f ms/s, JIT %5.1f, taken out)", rest[i] * 1000 / it, rest[j] * 1000 / it
        printf "\n"
      }
    }' "$out"
  ;;
*) sed -n 2,15p "$0"; exit 2 ;;
esac
