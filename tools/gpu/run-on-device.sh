#!/usr/bin/env bash
# On the GPU machine, after every part of tools/gpu/package-for-device.sh's output is in DIR (default /tmp/gw):
# joins and checks the parts, unpacks, makes the CUDA 13 runtime libraries of the machine's Python wheels
# (nvidia-cuda-runtime, nvidia-cublas) visible to llama.cpp, then
#   1. runs the decode benchmark of the worker's engine at batch 1 and 8,
#   2. exports the model to transformers and runs transformers' generate at batch 1 and 8 on the same GPU,
#   3. starts the worker on the model file and prints its health (device, GPUs, models) and worker_gpu_* metrics.
# Results are copied to $OUT when set. UNVERIFIED: written without a GPU machine.
set -euo pipefail
dir="${1:-/tmp/gw}"
tokens="${TOKENS:-128}"
cd "$dir"
cat gpu-worker.tar.zst.part-* > gpu-worker.tar.zst
[[ -f gpu-worker.tar.zst.sha256 ]] && sha256sum -c gpu-worker.tar.zst.sha256
zstd -dc --long=27 gpu-worker.tar.zst | tar -xf -
cd gpu-worker
nvidia-smi --query-gpu=index,name,memory.total,memory.used,utilization.gpu,power.draw --format=csv
cuda_libs="$(python3 - <<'PY'
import glob, os, site
dirs = set()
for base in site.getsitepackages():
    for lib in glob.glob(os.path.join(base, "nvidia", "**", "libcudart.so.13*"), recursive=True) + \
               glob.glob(os.path.join(base, "nvidia", "**", "libcublas.so.13*"), recursive=True):
        dirs.add(os.path.dirname(lib))
print(":".join(sorted(dirs)))
PY
)"
export LD_LIBRARY_PATH="$cuda_libs:${LD_LIBRARY_PATH:-}"
echo "CUDA libraries from: $cuda_libs"
ldd natives/libggml-cuda.so | grep -E 'cudart|cublas|libcuda' || true
java=runtime/bin/java
log="$dir/results.txt"
: > "$log"

echo "== decode benchmark: GPU worker engine (llama.cpp CUDA) ==" | tee -a "$log"
"$java" --enable-native-access=ALL-UNNAMED -Dloader.path=bench -Dloader.main=dev.llmplatform.bench.engine.DecodeBench \
  -cp app.jar org.springframework.boot.loader.launch.PropertiesLauncher natives model/tiny-kjv-chat.gguf "$tokens" 3 0 \
  2>&1 | grep -E 'devices=|batch=' | tee -a "$log"

echo "== decode benchmark: transformers generate ==" | tee -a "$log"
python3 tools/gguf_to_hf.py model/tiny-kjv-chat.gguf /tmp/tiny-kjv-chat-hf >/dev/null
python3 tools/hf_generate_bench.py /tmp/tiny-kjv-chat-hf "$tokens" 3 2>&1 | grep -E 'device=|batch=' | tee -a "$log"

echo "== the worker itself: readiness, device, GPUs, models, GPU metrics ==" | tee -a "$log"
"$java" --enable-native-access=ALL-UNNAMED -jar app.jar --worker.native-dir=natives \
  --worker.model-file=model/tiny-kjv-chat.gguf --server.port=18084 --spring.grpc.server.port=19094 > worker.log 2>&1 &
worker=$!
for _ in $(seq 1 90); do curl -sf -o /dev/null http://127.0.0.1:18084/actuator/health/readiness && break; sleep 1; done
curl -s http://127.0.0.1:18084/actuator/health | tee -a "$log"; echo | tee -a "$log"
curl -s http://127.0.0.1:18084/actuator/prometheus | grep -E '^worker_gpu_' | tee -a "$log"
grep -E 'Computing on|Not ready' worker.log | tee -a "$log" || true
kill "$worker"; wait "$worker" 2>/dev/null || true
[[ -n "${OUT:-}" ]] && cp "$log" worker.log "$OUT/" || true
