#!/usr/bin/env bash
# Installs the official OpenAI and Ollama JavaScript clients (npm packages openai and
# ollama, versions pinned by tests/httpclients/package-lock.json) that tests/http_test.go
# runs against edge serve; only when missing. When npm or the registry is unreachable it
# says so and the test skips with that reason.
set -euo pipefail
cd "$(dirname "$0")/../tests/httpclients"
if [ -f node_modules/openai/package.json ] && [ -f node_modules/ollama/package.json ]; then
  exit 0
fi
if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
  echo "edge: npm is missing; the OpenAI/Ollama client test will skip (scripts/install-tflite.sh installs nodejs and npm)" >&2
  exit 0
fi
echo "edge: installing the openai and ollama npm clients into tests/httpclients (HTTP API end-to-end test)" >&2
if ! npm ci --ignore-scripts --no-audit --no-fund --loglevel=error; then
  echo "edge: npm ci failed (registry unreachable?); the OpenAI/Ollama client test will skip" >&2
fi
