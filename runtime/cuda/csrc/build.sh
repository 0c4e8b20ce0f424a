#!/usr/bin/env bash
# Builds libedgecuda.so from the .cu files beside this script.
#
#   runtime/cuda/csrc/build.sh [OUTPUT]        (default OUTPUT: bin/libedgecuda.so under the repo root)
#
# Environment: NVCC (default nvcc), CUDA_ARCHS (default "87 90": Jetson Orin and Hopper),
# JOBS (parallel compiles, default: the core count). It is the parallel form of
#   nvcc -O3 -shared -Xcompiler -fPIC -gencode arch=compute_87,code=sm_87 \
#        -gencode arch=compute_90,code=sm_90 -o libedgecuda.so *.cu -lcublas -lcublasLt
set -euo pipefail
src="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$src/../../.." && pwd)"
out="${1:-$root/bin/libedgecuda.so}"
nvcc="${NVCC:-nvcc}"
archs="${CUDA_ARCHS:-87 90}"
jobs="${JOBS:-$(nproc 2>/dev/null || echo 4)}"

if ! command -v "$nvcc" >/dev/null 2>&1; then
  echo "build.sh: $nvcc not found: install the CUDA toolkit or set NVCC" >&2
  exit 1
fi
gencode=()
for a in $archs; do gencode+=(-gencode "arch=compute_$a,code=sm_$a"); done
flags=(-O3 -std=c++17 -Xcompiler -fPIC,-fvisibility=hidden -Xcompiler -Wall "${gencode[@]}")

obj="$(mktemp -d)"
trap 'rm -rf "$obj"' EXIT
mkdir -p "$(dirname "$out")"
export nvcc obj
printf '%s\n' "$src"/*.cu | xargs -P "$jobs" -I{} sh -c \
  'f="{}"; "$nvcc" '"${flags[*]}"' -c "$f" -o "$obj/$(basename "${f%.cu}").o" || { echo "build.sh: $f failed" >&2; exit 255; }'
"$nvcc" -shared "${gencode[@]}" -o "$out" "$obj"/*.o -lcublas -lcublasLt
echo "built $out ($(du -h "$out" | cut -f1), archs: $archs)"
