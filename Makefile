# Benchmarks. `make bench` measures everything and rewrites BENCHMARKS.md
# (about 11 minutes on 2 cores); `make bench-smoke` is the quick check CI runs
# as part of `go test ./...`; `make bench-cascade` measures only the cascade
# section (about 2 minutes) and rewrites only that section of BENCHMARKS.md;
# bench-capture, bench-reload, bench-drift and bench-batch do the same for
# theirs (about 2 minutes, 30 s, 1 minute and 10 s), and bench-new runs
# those four together.
.PHONY: bench bench-smoke bench-cascade bench-capture bench-reload bench-drift bench-batch bench-new

bench:
	go run ./bench -out BENCHMARKS.md -svg bench/quality_curves.svg

bench-smoke:
	go test -count=1 -run 'TestSmoke' ./bench

bench-cascade:
	go run ./bench -sections cascade -merge -out BENCHMARKS.md

bench-capture:
	go run ./bench -sections capture -merge -out BENCHMARKS.md

bench-reload:
	go run ./bench -sections reload -merge -out BENCHMARKS.md

bench-drift:
	go run ./bench -sections drift -merge -out BENCHMARKS.md

bench-batch:
	go run ./bench -sections batch -merge -out BENCHMARKS.md

bench-new:
	go run ./bench -sections capture,reload,drift,batch -merge -out BENCHMARKS.md
