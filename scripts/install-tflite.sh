#!/usr/bin/env bash
# Installs what edge's TFLite engine (runtime/tflite, build tag `tflite`) needs, only
# what is missing:
#   - the TensorFlow Lite 2.9 C library, which ships in the npm package tfjs-tflite-node
#     (cc_deps/linux_{amd64,arm64}/libtensorflowlite_c.so), into third_party/tflite;
#     its install scripts are skipped (--ignore-scripts): they would fetch from the net;
#   - that package's N-API binding, built offline against the system Node headers, so
#     the tests can run the exported model from Node.js as a second client.
# Node.js and npm come from Debian's packages when absent.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=third_party/tflite
case "$(uname -m)" in
  x86_64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "edge: no TFLite C library for $(uname -m) in tfjs-tflite-node" >&2; exit 1 ;;
esac
lib="$dir/node_modules/tfjs-tflite-node/cc_deps/linux_$arch/libtensorflowlite_c.so"
binding="$dir/node_modules/tfjs-tflite-node/build/Release/node_tflite_binding.node"

apt_install() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
  echo "edge: installing nodejs and npm (for the TFLite C library's npm package)" >&2
  apt_install nodejs npm
fi

if [ ! -f "$lib" ]; then
  echo "edge: installing tfjs-tflite-node@0.0.2 into $dir (TFLite 2.9 C library)" >&2
  (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
fi
[ -f "$lib" ] || { echo "edge: $lib is missing after npm install" >&2; exit 1; }

if [ ! -f "$binding" ]; then
  # node-gyp comes with npm; --nodedir points it at the installed headers instead of
  # downloading them.
  nodedir=""
  for d in /usr /usr/local "$(dirname "$(dirname "$(command -v node)")")"; do
    if [ -f "$d/include/node/node_api.h" ]; then nodedir=$d; break; fi
  done
  gyp="$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js"
  if [ -z "$nodedir" ] && command -v apt-get >/dev/null; then
    apt_install libnode-dev || true
    [ -f /usr/include/node/node_api.h ] && nodedir=/usr
  fi
  if [ -n "$nodedir" ] && [ -f "$gyp" ] && command -v g++ >/dev/null && command -v make >/dev/null; then
    echo "edge: building tfjs-tflite-node's binding (Node.js client for the tests)" >&2
    (cd "$dir/node_modules/tfjs-tflite-node" && node "$gyp" rebuild --nodedir="$nodedir" --loglevel=error >/dev/null)
  else
    echo "edge: cannot build tfjs-tflite-node's binding (needs Node headers, node-gyp, g++, make); its test will skip" >&2
  fi
fi
