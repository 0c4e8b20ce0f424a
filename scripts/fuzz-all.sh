#!/bin/sh
# Runs every Go fuzz target of the repository for a while each (default 1000 inputs:
# 1000x; a duration such as 30s also works), one at a time: `go test -fuzz` takes a
# single target in a single package.
set -eu
fuzztime=${1:-1000x}
cd "$(dirname "$0")/.."
git ls-files '*_test.go' | grep -v '^third_party/' | xargs grep -l '^func Fuzz' | while read -r file; do
	pkg=./$(dirname "$file")
	# Targets in files with build tags (tflite) need their libraries: leave them to their own targets.
	if head -3 "$file" | grep -q '^//go:build'; then
		echo "fuzz: skip $file (build-tagged)"
		continue
	fi
	for target in $(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$file"); do
		echo "fuzz: $pkg $target for $fuzztime"
		go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg"
	done
done
