#!/usr/bin/env bash
# Fetches the llama.cpp CUDA build the GPU worker binds to (see llama-cuda.lock, about 143 MB) at BUILD time, verifies
# its SHA-256 and unpacks its shared libraries into DEST (default: <repo>/.platform/native/llama-cuda/<version>).
# The service never downloads anything at run time; it reads this folder (worker.native-dir).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
exec bash "$here/../llama/fetch-llama.sh" "$here/llama-cuda.lock" "$@"
