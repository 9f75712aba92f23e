#!/usr/bin/env bash
# Fetches the llama.cpp CUDA build the GPU worker binds to (see llama-cuda.lock) at BUILD time, verifies its SHA-256
# and unpacks its shared libraries into DEST (default: <repo>/.platform/native/llama-cuda/<version>).
# The service never downloads anything at run time; it reads this folder (worker.native-dir).
# Skips when DEST already holds a complete copy. Needs npm (the ordinary client of the npm registry).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# shellcheck disable=SC1091
package="$(sed -n 's/^package=//p' "$here/llama-cuda.lock")"
version="$(sed -n 's/^version=//p' "$here/llama-cuda.lock")"
expected="$(sed -n 's/^sha256=//p' "$here/llama-cuda.lock")"
dest="${1:-$repo/.platform/native/llama-cuda/$version}"

if [[ -f "$dest/.complete" ]] && [[ "$(cat "$dest/.complete")" == "$expected" ]]; then
  echo "llama.cpp CUDA natives $version already in $dest"
  exit 0
fi
if ! command -v npm >/dev/null; then
  echo "fetch-llama-cuda: npm is needed to fetch $package@$version (apt-get install npm)" >&2
  exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "Fetching $package@$version (about 143 MB) ..."
(cd "$work" && npm pack --silent "$package@$version" >/dev/null)
tarball="$(ls "$work"/*.tgz)"
actual="$(sha256sum "$tarball" | cut -d' ' -f1)"
if [[ "$actual" != "$expected" ]]; then
  echo "fetch-llama-cuda: SHA-256 mismatch for $package@$version: expected $expected, got $actual" >&2
  exit 1
fi
tar -xzf "$tarball" -C "$work" package/bins/linux-x64-cuda
rm -rf "$dest.partial"
mkdir -p "$dest.partial"
mv "$work"/package/bins/linux-x64-cuda/* "$dest.partial"/
echo "$expected" > "$dest.partial/.complete"
rm -rf "$dest"
mv "$dest.partial" "$dest"
echo "llama.cpp CUDA natives $version unpacked into $dest"
