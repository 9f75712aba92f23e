#!/usr/bin/env bash
# Writes the benchmark model (a ~214M-parameter llama with seeded random weights and the default model's tokenizer
# and chat template, F16 and Q8_0) into .platform/models/bench, git-ignored, unless it is there already. Speed
# figures on it mean what they would on a trained model of its size; it is never committed. Needs python3 + numpy.
#   tools/bench/bench-model.sh            prints the F16 file's path
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT="$ROOT/.platform/models/bench"
if [[ ! -f "$OUT/bench-214m-f16.gguf" || ! -f "$OUT/bench-214m-q8_0.gguf" ]]; then
  python3 "$ROOT/tools/model/bench_model.py" "$ROOT/models/tiny-kjv-chat/tiny-kjv-chat.gguf" "$OUT" >&2
fi
echo "$OUT/bench-214m-f16.gguf"
