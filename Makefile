# edge: BLIP-2 on the edge. `make demo` shows it working, `make test` proves it.
GO      ?= go
BIN     := bin/edge
TESTFLAGS ?= -race -timeout 30m

.PHONY: all build deps demo test vet fmt bench arm64 clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	$(GO) build -o $(BIN) ./cmd/edge

demo: build
	$(BIN) demo

test: deps
	$(GO) vet ./...
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build ./...
	EDGE_README_TEST=1 $(GO) test $(TESTFLAGS) ./...

bench: build
	$(BIN) bench

arm64:
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -o bin/edge-linux-arm64 ./cmd/edge

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
