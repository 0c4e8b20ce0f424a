#!/usr/bin/env bash
# Races edge's image path against ONNX Runtime 1.30 on this machine (see main.go).
# Installs the ONNX Runtime CPU library from the npm package onnxruntime-node when it
# is missing: --ignore-scripts, because the package's install script downloads GPU
# parts from a host that build machines cannot reach; the CPU library ships in the
# package itself. Flags go to the Go program: ./run.sh --threads 1,2 --runs 60
set -euo pipefail
cd "$(dirname "$0")"

ORT_VERSION=1.30.0
find_lib() {
	{ ls node_modules/onnxruntime-node/bin/napi-v*/linux/"$1"/libonnxruntime.so.1 2>/dev/null || true; } | head -n 1
}
case "$(uname -m)" in
x86_64) arch=x64 ;;
aarch64 | arm64) arch=arm64 ;;
*) echo "run.sh: no ONNX Runtime build for $(uname -m) in onnxruntime-node" >&2; exit 1 ;;
esac

lib="$(find_lib "$arch")"
if [[ -z "$lib" ]] || ! grep -q "\"version\": \"$ORT_VERSION\"" node_modules/onnxruntime-node/package.json 2>/dev/null; then
	command -v npm >/dev/null || { echo "run.sh: npm is needed to install onnxruntime-node@$ORT_VERSION" >&2; exit 1; }
	echo "run.sh: installing onnxruntime-node@$ORT_VERSION (CPU library only)" >&2
	npm install --ignore-scripts --no-save --no-package-lock --no-audit --no-fund "onnxruntime-node@$ORT_VERSION" >&2
	lib="$(find_lib "$arch")"
fi
[[ -n "$lib" ]] || { echo "run.sh: libonnxruntime.so.1 not found under node_modules/onnxruntime-node" >&2; exit 1; }

# TFLite (XNNPack) joins the race when its library installs (scripts/install-tflite.sh).
if ../scripts/install-tflite.sh >&2; then
	export CGO_CFLAGS="-I$(cd .. && pwd)/runtime/tflite/include"
	exec go run -tags tflite . --ort-lib "$PWD/$lib" "$@"
fi
echo "run.sh: TFLite not available; racing without it" >&2
exec go run . --ort-lib "$PWD/$lib" "$@"
