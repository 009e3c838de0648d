package main

import (
	"math"
	"strings"
	"testing"
)

// benchOutput is real `go test -bench` output of BenchmarkDrift and
// BenchmarkCaptureOverhead, with a benchmark's log line and a name printed
// alone, as -v prints it.
const benchOutput = `goos: linux
goarch: amd64
pkg: github.com/llmrouter/llmrouter/internal/router
cpu: AMD EPYC
BenchmarkDrift/words=10/drift-2         	    2000	      1695 ns/op	     135 B/op	       0 allocs/op
BenchmarkDrift/words=10/route-without-drift-2         	    2000	      3451 ns/op	     256 B/op	       2 allocs/op
BenchmarkReload
    bench_reload_test.go:31: model: kind sft+dpo, weights 2097152 bytes, version 0123456789ab
BenchmarkReload/watch-poll-2          	       1	     94560 ns/op
BenchmarkCaptureOverhead/on-full-redact         	   20000	     22295 ns/op	     26534 cpu-ns/op	   13909 B/op	      93 allocs/op	 0 dropped/op
BenchmarkDrift/words=10/drift-2         	    2000	      1701.5 ns/op	     135 B/op	       0 allocs/op
PASS
ok  	github.com/llmrouter/llmrouter/internal/router	3.677s
`

func TestParseBenchOutput(t *testing.T) {
	lines, err := parseBenchOutput(benchOutput)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range lines {
		names = append(names, l.Name)
	}
	want := "Drift/words=10/drift Drift/words=10/route-without-drift Reload/watch-poll CaptureOverhead/on-full-redact Drift/words=10/drift"
	if got := strings.Join(names, " "); got != want {
		t.Fatalf("names %q, want %q", got, want)
	}
	if got := benchValues(lines, "Drift/words=10/drift", "ns/op"); len(got) != 2 || got[0] != 1695 || got[1] != 1701.5 {
		t.Errorf("drift ns/op %v, want [1695 1701.5]", got)
	}
	c := lines[3]
	if c.N != 20000 || c.Values["cpu-ns/op"] != 26534 || c.Values["allocs/op"] != 93 || c.Values["dropped/op"] != 0 || len(c.Values) != 5 {
		t.Errorf("capture line %+v", c)
	}
	if err := needRounds(lines, "ns/op", 2, "Drift/words=10/drift"); err != nil {
		t.Error(err)
	}
	if err := needRounds(lines, "ns/op", 2, "Reload/watch-poll"); err == nil || !strings.Contains(err.Error(), "Reload/watch-poll: 1 results") {
		t.Errorf("needRounds with one round of two: %v", err)
	}
}

func TestParseBenchOutputRejectsBrokenResultLines(t *testing.T) {
	for _, in := range []string{
		"BenchmarkX-2 \t 100 \t 12 ns/op \t 3",
		"BenchmarkX-2 \t 100 \t twelve ns/op",
		"BenchmarkX-2 \t 100 \t NaN ns/op",
		"BenchmarkX-2 \t 0 \t 12 ns/op",
	} {
		if _, err := parseBenchOutput("PASS\n" + in + "\n"); err == nil || !strings.Contains(err.Error(), "line 2") {
			t.Errorf("parseBenchOutput(%q) = %v, want an error naming line 2", in, err)
		}
	}
}

func TestPairedRatio(t *testing.T) {
	// Load doubles both figures of round 2: the per-round ratio ignores it.
	if got := pairedRatio([]float64{110, 220, 105}, []float64{100, 200, 100}); math.Abs(got-1.1) > 1e-9 {
		t.Errorf("pairedRatio = %v, want 1.1", got)
	}
	if got := pairedRatio([]float64{1, 2}, []float64{1}); !math.IsNaN(got) {
		t.Errorf("unpaired rounds: %v, want NaN", got)
	}
}

func TestParseBatchFigure(t *testing.T) {
	out := "=== RUN   TestOracleBatchCostFigure\n" +
		"    cmd_oracle_batch_test.go:244: 1000 captured queries, pairwise judge: online total $22.0782 (judge $9.3675), --batch total $11.0391 (judge $4.6837), ratio 0.500; 3 batch jobs\n" +
		"--- PASS: TestOracleBatchCostFigure (2.02s)\nPASS\n"
	fig, err := parseBatchFigure(out)
	if err != nil {
		t.Fatal(err)
	}
	want := batchFigure{queries: 1000, online: 22.0782, onlineJudge: 9.3675, batch: 11.0391, batchJudge: 4.6837, jobs: 3}
	if fig != want {
		t.Fatalf("figure %+v, want %+v", fig, want)
	}
	for _, bad := range []string{"PASS\n", strings.Replace(out, "$22.0782", "$0", 1), strings.Replace(out, "$9.3675", "$9.3.6", 1)} {
		if _, err := parseBatchFigure(bad); err == nil {
			t.Errorf("parseBatchFigure accepted %q", bad)
		}
	}
}

func FuzzParseBenchOutput(f *testing.F) {
	f.Add(benchOutput)
	f.Add("BenchmarkX-2 \t 1 \t 1e400 ns/op\n")
	f.Fuzz(func(t *testing.T, s string) {
		lines, err := parseBenchOutput(s)
		if err != nil {
			return
		}
		for _, l := range lines {
			if l.N <= 0 || strings.ContainsAny(l.Name, " \t\n") {
				t.Fatalf("line %+v", l)
			}
			for u, v := range l.Values {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("%s = %v", u, v)
				}
			}
		}
	})
}

func FuzzParseBatchFigure(f *testing.F) {
	f.Add("1000 captured queries, pairwise judge: online total $22.0782 (judge $9.3675), --batch total $11.0391 (judge $4.6837), ratio 0.500; 3 batch jobs")
	f.Add("1 captured queries, pairwise judge: online total $1. (judge $.), --batch total $0 (judge $0), ratio 0; 0 batch jobs")
	f.Fuzz(func(t *testing.T, s string) {
		fig, err := parseBatchFigure(s)
		if err == nil && (fig.queries <= 0 || fig.online <= 0) {
			t.Fatalf("accepted %+v", fig)
		}
	})
}
