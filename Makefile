# edge: BLIP-2 on the edge. `make demo` shows it working, `make test` proves it.
GO      ?= go
BIN     := bin/edge
TESTFLAGS ?= -race -timeout 30m

TFLITE_ENV := CGO_CFLAGS="-I$(CURDIR)/runtime/tflite/include"

.PHONY: all build cuda deps demo demo-voice test test-tflite tflite build-tflite bench bench-tflite arm64 fmt clean soak fuzz bigtest

all: build

deps:
	@scripts/install-deps.sh

build: deps
	$(GO) build -o $(BIN) ./cmd/edge

demo: build
	$(BIN) demo

# The demo scenes' captions spoken by espeak-ng into WAV files (play them with aplay).
VOICE_DIR ?= /tmp/edge-demo-voice
demo-voice: build
	rm -rf $(VOICE_DIR)
	$(BIN) run --camera testdata/demo/images --on-end stop --max-fps 1 --mode continuous --speak-to $(VOICE_DIR) --print --duration 60s
	@echo "edge demo-voice: spoken captions are in $(VOICE_DIR) (aplay $(VOICE_DIR)/0001-caption.wav)"; ls $(VOICE_DIR)

test: deps
	$(GO) vet ./...
	scripts/deadcode.sh
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build ./...
	@scripts/install-http-clients.sh
	EDGE_README_TEST=1 $(GO) test $(TESTFLAGS) ./...
	$(MAKE) fuzz
	$(MAKE) test-tflite

# Every fuzz target in the repository, FUZZTIME each. A count of inputs, not a duration:
# Go 1.26's fuzz coordinator can fail a duration run with a bare "context deadline
# exceeded" when the time runs out under load (go.dev/issue/75804, fixed in Go 1.27).
# FUZZTIME=60s still works for a longer local run.
FUZZTIME ?= 1000x
fuzz:
	@scripts/fuzz-all.sh $(FUZZTIME)

# The soak: the real edge binary, mosquitto and a network camera under injected faults
# for SOAK_DURATION (make test runs a 2-minute one). SOAK_SEED=n replays a schedule.
SOAK_DURATION ?= 10m
SOAK_SEED ?= 0
soak: deps
	$(GO) test -tags soak -count=1 -run '^TestSoak$$' -v -timeout 0 ./tests/ -soak-duration $(SOAK_DURATION) -soak-seed $(SOAK_SEED) $(if $(SOAK_REPORT),-soak-report $(SOAK_REPORT))

# Full-size random checkpoints in the hub's exact layout (BIGTEST_MODEL under
# testdata/real-configs, stored as each of BIGTEST_DTYPES), and every way of loading them
# measured: peak heap (RssAnon) and wall time, as a markdown table. Not part of make test:
# 15 GB on disk per dtype and minutes per row. BIGTEST_DIR keeps the checkpoints for the
# next run (default: a temporary folder, removed); BIGTEST_BIN measures another binary.
BIGTEST_MODEL ?= blip2-opt-2.7b
BIGTEST_DTYPES ?= F32
BIGTEST_DIR ?=
BIGTEST_BIN ?=
bigtest: deps
	$(GO) test -tags bigtest -count=1 -run '^TestBigCheckpoints(UnderCgroup)?$$' -v -timeout 0 ./tests/ -big-model $(BIGTEST_MODEL) -big-dtypes $(BIGTEST_DTYPES) $(if $(BIGTEST_DIR),-big-dir $(abspath $(BIGTEST_DIR))) $(if $(BIGTEST_BIN),-big-bin $(abspath $(BIGTEST_BIN))) $(if $(BIGTEST_REPORT),-big-report $(abspath $(BIGTEST_REPORT))) $(if $(BIGTEST_F32_DIR),-big-f32-dir $(abspath $(BIGTEST_F32_DIR))) $(if $(BIGTEST_INT8_DIR),-big-int8-dir $(abspath $(BIGTEST_INT8_DIR))) $(if $(BIGTEST_ROWS),-big-rows '$(BIGTEST_ROWS)')

# The TFLite engine needs the TFLite 2.9 C library that the npm package
# tfjs-tflite-node ships; scripts/install-tflite.sh installs it under third_party/.
tflite:
	scripts/install-tflite.sh

test-tflite: tflite
	$(TFLITE_ENV) $(GO) vet -tags tflite ./runtime/tflite/
	$(TFLITE_ENV) $(GO) test $(TESTFLAGS) -tags tflite ./runtime/tflite/

# bin/edge with the TFLite engine (--encoder tflite).
build-tflite: tflite
	$(TFLITE_ENV) $(GO) build -tags tflite -o $(BIN) ./cmd/edge

bench-tflite: tflite
	$(TFLITE_ENV) $(GO) test -tags tflite -run '^$$' -bench ImagePath -benchtime 40x ./runtime/tflite/

# The CUDA library (nvcc, cuBLAS) for Orin (sm_87) and Hopper (sm_90); the Go side loads
# it at run time with purego, so the edge binary itself needs no cgo for CUDA.
cuda:
	runtime/cuda/csrc/build.sh bin/libedgecuda.so

bench: build
	$(BIN) bench

arm64:
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -o bin/edge-linux-arm64 ./cmd/edge

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
