# Benchmarks. `make bench` measures everything and rewrites BENCHMARKS.md
# (about 7 minutes on 2 cores); `make bench-smoke` is the quick check CI runs
# as part of `go test ./...`; `make bench-cascade` measures only the cascade
# section (about 2 minutes) and rewrites only that section of BENCHMARKS.md.
.PHONY: bench bench-smoke bench-cascade

bench:
	go run ./bench -out BENCHMARKS.md -svg bench/quality_curves.svg

bench-smoke:
	go test -count=1 -run 'TestSmoke' ./bench

bench-cascade:
	go run ./bench -sections cascade -merge -out BENCHMARKS.md
