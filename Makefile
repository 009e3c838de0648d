# Benchmarks. `make bench` measures everything and rewrites BENCHMARKS.md
# (about 5 minutes on 2 cores); `make bench-smoke` is the quick check CI runs
# as part of `go test ./...`.
.PHONY: bench bench-smoke

bench:
	go run ./bench -out BENCHMARKS.md -svg bench/quality_curves.svg

bench-smoke:
	go test -count=1 -run 'TestSmoke' ./bench
