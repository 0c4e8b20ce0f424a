#!/usr/bin/env bash
# gpu-check.sh: the whole GPU check of the CUDA backend in one run, within 8 minutes, on
# a machine with nvcc and a GPU but no Go. Run it from the repository root.
#
# On a development machine first build the test binary (no cgo, so it runs anywhere):
#   CGO_ENABLED=0 go test -c -o bin/cuda.test ./runtime/cuda
# then on the GPU machine:
#   scripts/gpu-check.sh
# It builds bin/libedgecuda.so with nvcc (sm_90 only unless CUDA_ARCHS says otherwise),
# runs every test of runtime/cuda against the GPU (ops vs the CPU backend, goldens in
# fp32/TF32/fp16), times the real shapes in fp16, and prints a summary. Logs and
# bench.json go to $OUT (default out/gpu-check). Exit status: 0 only if the build and
# the tests passed and the benchmark ran.
# Knobs for a rerun: GPU_CHECK_TESTS=regex (only those tests), GPU_CHECK_SKIP_BENCH=1,
# EDGE_CUDA_BENCH_MODELS=blip2-opt-2.7b (one model), EDGE_CUDA_BENCH_BEAMS=0 (no beam
# timing), CUDA_ARCHS="87 90" (also build for Jetson Orin).
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
start=$(date +%s)
budget=${GPU_CHECK_BUDGET_S:-470}
out=${OUT:-$root/out/gpu-check}
mkdir -p "$out"
elapsed() { echo $(( $(date +%s) - start )); }
log() { echo "[gpu-check +$(elapsed)s] $*"; }
left() { echo $(( budget - $(elapsed) )); }
status=0

if [ ! -x bin/cuda.test ]; then
  echo "gpu-check: bin/cuda.test is missing: build it first with CGO_ENABLED=0 go test -c -o bin/cuda.test ./runtime/cuda" >&2
  exit 2
fi

log "machine"
{ nvidia-smi --query-gpu=name,memory.total,driver_version,compute_cap --format=csv,noheader 2>&1 || echo "nvidia-smi failed"
  nvcc --version 2>&1 | tail -1; nproc; free -g | sed -n 2p; df -h /dev/shm | tail -1; } | tee "$out/machine.txt"

log "building bin/libedgecuda.so"
if CUDA_ARCHS="${CUDA_ARCHS:-90}" timeout 200 runtime/cuda/csrc/build.sh "$root/bin/libedgecuda.so" >"$out/build.log" 2>&1; then
  tail -1 "$out/build.log"
else
  log "BUILD FAILED (last lines of $out/build.log):"
  tail -40 "$out/build.log"
  exit 1
fi
export EDGE_CUDA_LIB="$root/bin/libedgecuda.so" EDGE_CUDA_REQUIRE=1

log "tests (ops against the CPU backend, goldens)"
t=$(( $(left) - 150 ))
[ "$t" -gt 240 ] && t=240
(cd runtime/cuda && timeout "$t" ../../bin/cuda.test -test.v -test.count=1 -test.timeout "$((t - 5))s" \
  -test.run "${GPU_CHECK_TESTS:-.}" -test.skip 'TestRealShapesSpeed') >"$out/tests.log" 2>&1
tests=$?
if [ "$tests" -ne 0 ]; then
  status=1
  log "TESTS FAILED (exit $tests); failures:"
  grep -E -B2 -A12 -- '--- FAIL|panic:|Error Trace' "$out/tests.log" | head -150
fi

t=$(( $(left) - 5 ))
if [ "${GPU_CHECK_SKIP_BENCH:-0}" = 1 ]; then
  log "benchmark skipped (GPU_CHECK_SKIP_BENCH=1)"
elif [ "$t" -lt 60 ]; then
  log "no time left for the benchmark"
  status=1
else
  log "benchmark: real shapes in fp16 (${t}s allowed)"
  # The random checkpoint (~8 GB per model) goes to RAM when /dev/shm has room for it.
  shm=/dev/shm
  free_kb=$(df -Pk "$shm" 2>/dev/null | awk 'NR==2 {print $4}')
  if [ ! -w "$shm" ] || [ "${free_kb:-0}" -lt $((10 * 1024 * 1024)) ]; then shm=${TMPDIR:-/tmp}; fi
  log "random checkpoints go to $shm"
  (cd runtime/cuda && EDGE_CUDA_BENCH=1 EDGE_CUDA_BENCH_DIR="$shm" EDGE_CUDA_BENCH_OUT="$out/bench.json" \
    EDGE_CUDA_BENCH_BEAMS="${EDGE_CUDA_BENCH_BEAMS:-1}" timeout "$t" ../../bin/cuda.test -test.v -test.count=1 \
    -test.run 'TestRealShapesSpeed' -test.timeout "$((t - 3))s") >"$out/bench.log" 2>&1
  b=$?
  if [ "$b" -ne 0 ]; then
    status=1
    log "BENCHMARK FAILED (exit $b):"
    tail -40 "$out/bench.log"
  fi
fi

log "summary"
echo "tests: $(grep -c -- '^--- PASS\|^    --- PASS' "$out/tests.log") passed, $(grep -c -- '--- FAIL' "$out/tests.log") failed, $(grep -c -- '--- SKIP' "$out/tests.log") skipped"
grep -- '--- SKIP' "$out/tests.log" | head -5
grep -h 'GOLDEN cuda\|backend: \|int8 products' "$out/tests.log" | sed 's/^ *[a-z_]*\.go:[0-9]*: //' | sort -u
if [ -s "$out/bench.json" ] && command -v python3 >/dev/null; then
  python3 - "$out/bench.json" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1])) or []
def f(v):
    return "-" if v is None else (f"{v[0]:.1f}" if isinstance(v, list) else f"{v:.1f}")
print(f"{'model':18} {'what':22} {'ours ms':>9} {'HF ms':>9} {'ours/HF':>8}")
for r in rows:
    hf = r.get("hf_baseline", {})
    print(f"{r['model']:18} on {r['backend']}")
    for key, hkey in [("image_ms", "image_ms"), ("first_token_ms", "first_token_ms"),
                      ("decode_ms_per_token", "decode_ms_per_token"), ("beam5_33_ms", "beam5_33_ms")]:
        ours, theirs = r.get(key), hf.get(hkey)
        o = ours[0] if isinstance(ours, list) else ours
        ratio = f"{o / theirs:.2f}" if o is not None and theirs else "-"
        print(f"{'':18} {key:22} {f(ours):>9} {f(theirs):>9} {ratio:>8}")
    print(f"{'':18} feed_ms_median {r['feed_ms_median']:.1f}, weights {r.get('weights_resident_gib', 0):.2f} GiB, "
          f"device used {r.get('device_used_gib', 0):.2f} GiB, load {r['load_s']:.1f} s, write {r['write_checkpoint_s']:.1f} s")
if rows:
    print(f"(HF figures: {rows[0].get('hf_baseline', {}).get('gpu', '?')}; compare only on the same GPU)")
PY
elif [ -s "$out/bench.json" ]; then
  cat "$out/bench.json"
fi
log "done: status $status (logs in $out)"
exit $status
