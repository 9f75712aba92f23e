#!/usr/bin/env bash
# Packs the GPU worker for a machine that has an NVIDIA GPU but no JDK and no network (the lent device machine):
#   runtime/   a jlink-ed Java 25 runtime (only the modules the worker uses)
#   app.jar    the worker's executable jar; bench/ the engine benchmark's classes (DecodeBench, run with app.jar's libraries)
#   natives/   the llama.cpp CUDA build (libllama, libggml*, libggml-cuda.so: CUDA 13, needs driver >= 580)
#   model/     the default model; tools/ the benchmark scripts; run-on-device.sh the steps to run there
# then tars and compresses it and splits it into parts small enough to travel one per call (64 MiB per call
# limit, with the working tree). UNVERIFIED on a GPU machine: no GPU was lent when this was written.
# Usage: tools/gpu/package-for-device.sh [out-dir=.device] [part-size=44m]
# (a part travels with the working tree, about 16 MB, and both must stay under 64 MiB)
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
out="${1:-$repo/.device}"
part="${2:-44m}"
JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
version="$(sed -n 's/^version=//p' "$repo/tools/gpu/llama-cuda.lock")"
natives="$repo/.platform/native/llama-cuda/$version"
jar="$repo/inference-gpu-service/target/inference-gpu-service-0.1.0-SNAPSHOT-exec.jar"

bench="$repo/bench/target/classes/dev/llmplatform/bench/engine"
if [[ ! -f "$jar" || ! -f "$natives/.complete" || ! -d "$bench" ]]; then
  (cd "$repo" && ./mvnw -B -q -pl inference-gpu-service,bench -am package -DskipTests)
fi
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
root="$stage/gpu-worker"
mkdir -p "$root/model" "$root/tools"
"$JAVA_HOME/bin/jlink" --output "$root/runtime" --strip-debug --no-header-files --no-man-pages --compress zip-6 \
  --add-modules java.base,java.compiler,java.desktop,java.instrument,java.logging,java.management,java.naming,java.net.http,java.prefs,java.scripting,java.security.jgss,java.security.sasl,java.sql,java.xml,jdk.management,jdk.naming.dns,jdk.net,jdk.unsupported,jdk.zipfs,jdk.crypto.ec
cp "$jar" "$root/app.jar"
mkdir -p "$root/bench/dev/llmplatform/bench" && cp -r "$bench" "$root/bench/dev/llmplatform/bench/"
cp -r "$natives" "$root/natives"
rm -f "$root/natives/llama-addon.node" "$root/natives/libllama-common.so" "$root/natives/.complete"  # Node.js only
cp "$repo/models/tiny-kjv-chat/tiny-kjv-chat.gguf" "$root/model/"
cp "$repo/tools/gpu/gguf_to_hf.py" "$repo/tools/gpu/hf_generate_bench.py" "$repo/tools/gpu/run-on-device.sh" "$root/tools/"

rm -rf "$out"
mkdir -p "$out"
tar -C "$stage" -cf - gpu-worker | zstd -q -T0 -19 --long=27 -o "$out/gpu-worker.tar.zst"
(cd "$out" && sha256sum gpu-worker.tar.zst > gpu-worker.tar.zst.sha256 && split -b "$part" -d gpu-worker.tar.zst gpu-worker.tar.zst.part- && rm gpu-worker.tar.zst)
n=0
for p in "$out"/gpu-worker.tar.zst.part-*; do
  n=$((n + 1))
  mkdir -p "$out/p$n" && mv "$p" "$out/p$n/"
done
mv "$out/gpu-worker.tar.zst.sha256" "$out/p$n/"
echo "Packed into $n parts under $out (p1 .. p$n), $(du -sh "$out" | cut -f1) in all."
echo "Send them one call each, back to back (the machine stays warm about 30 s after a call):"
echo "  call i (i < $n): carry [.device/p<i>], command: mkdir -p /tmp/gw && cp .device/p<i>/* /tmp/gw/"
echo "  call $n:  carry [.device/p$n], command: cp .device/p$n/* /tmp/gw/ && bash tools/gpu/run-on-device.sh /tmp/gw"
echo "(.device must be ignored: echo /.device/ >> .git/info/exclude)"
