#!/usr/bin/env bash
# The README's test command: every test, with the race detector, then a short
# bounded run of each fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."
go test -race -count=1 -timeout 20m ./...
if [[ "${SKIP_FUZZ:-}" != 1 ]]; then
  bash scripts/fuzz.sh "${FUZZTIME:-5s}"
fi
