#!/usr/bin/env bash
# Installs this folder's packages exactly as package-lock.json pins them (npm ci, no install scripts), for
# BatchNodeClientTest; run by the build (platform-tests, generate-test-resources). Skips when node_modules was
# installed from the same package.json and package-lock.json already (a stamp that npm ci's fresh node_modules loses).
set -euo pipefail
cd "$(dirname "$0")"
stamp=node_modules/.installed-from
wanted="$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1)"
if [[ -f "$stamp" ]] && [[ "$(cat "$stamp")" == "$wanted" ]]; then
  echo "Node client packages up to date in $(pwd)/node_modules"
  exit 0
fi
if ! command -v npm >/dev/null; then
  # BatchNodeClientTest skips without node, and says what is missing when node is there but not the packages.
  echo "warning: npm is not installed; the official Node client's test (BatchNodeClientTest) cannot run" >&2
  exit 0
fi
npm ci --ignore-scripts --no-audit --no-fund
echo "$wanted" > "$stamp"
