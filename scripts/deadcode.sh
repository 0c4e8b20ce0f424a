#!/usr/bin/env bash
# Fails when code nothing calls (tests included) is in the tree: golang.org/x/tools'
# deadcode, fetched through the Go module proxy at a fixed version. The only exceptions
# are what the build tags leave unreachable in one build: the TFLite engine's stub
# methods (built without -tags tflite) and the helper only the real engine calls.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(go run golang.org/x/tools/cmd/deadcode@v0.52.0 -test ./... |
  grep -v -e '^runtime/tflite/engine_stub.go:' -e '^runtime/tflite/config.go:.*unreachable func: Config.threads$' || true)
if [ -n "$out" ]; then
  echo "deadcode: functions nothing calls (remove them, or call them):" >&2
  echo "$out" >&2
  exit 1
fi
