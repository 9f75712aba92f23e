#!/usr/bin/env bash
# Checks the default model against its recorded SHA-256 (models/tiny-kjv-chat/SHA256SUMS).
set -euo pipefail
DIR="$(cd "$(dirname "$0")/../../models/tiny-kjv-chat" 2>/dev/null && pwd)" || { echo "models/tiny-kjv-chat is missing" >&2; exit 1; }
cd "$DIR" && sha256sum --quiet -c SHA256SUMS
