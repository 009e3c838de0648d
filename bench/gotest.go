package main

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// Some figures come from Go benchmarks and tests that live next to the
// code they measure (internal/server's capture and reload benchmarks,
// internal/router's drift benchmark, cmd/llmrouter's batch cost test), so
// that `go test -bench` and this report measure the same thing. The bench
// tool compiles each package's test binary once per run and executes it
// in the package's directory (their testdata paths are relative), one
// process per measurement where the README's method asks for it.

// testBinaries compiles test binaries once per run, by package.
type testBinaries struct {
	mu   sync.Mutex
	root string // module root; "" until found
	bins map[string]string
}

// moduleRoot is the directory of go.mod, wherever the bench runs from
// (the repository root under `go run ./bench`, bench/ under `go test`).
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("go env GOMOD: not inside the llmrouter module")
	}
	return filepath.Dir(mod), nil
}

// slowUnderRace are packages whose measured benchmark trains a router on
// all of recorded MMLU first, which the race detector slows from seconds to
// a minute: the smoke run builds them without it even under -race.
var slowUnderRace = map[string]bool{"./internal/router": true}

// testBinary builds pkg's test binary ("./internal/server") into the work
// directory and returns its path and the package's directory.
func (b *bench) testBinary(ctx context.Context, pkg string) (bin, dir string, err error) {
	tb := &b.tests
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if tb.root == "" {
		if tb.root, err = moduleRoot(ctx); err != nil {
			return "", "", err
		}
	}
	dir = filepath.Join(tb.root, filepath.FromSlash(pkg))
	if bin, ok := tb.bins[pkg]; ok {
		return bin, dir, nil
	}
	bin = filepath.Join(b.opts.workDir, strings.NewReplacer("/", "_", ".", "").Replace(pkg)+".test")
	args := []string{"test", "-c", "-o", bin}
	if b.opts.smoke && raceBuild && !slowUnderRace[pkg] {
		// Under `go test -race ./...` the race-built packages are in the
		// build cache: linking them is quick, compiling them again
		// without -race is not. Smoke figures mean nothing either way.
		args = append(args, "-race")
	}
	build := exec.CommandContext(ctx, "go", append(args, pkg)...)
	build.Dir = tb.root
	if out, err := build.CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("go test -c %s: %w: %s", pkg, err, tailLines(string(out), 5))
	}
	if tb.bins == nil {
		tb.bins = map[string]string{}
	}
	tb.bins[pkg] = bin
	return bin, dir, nil
}

// runTest runs a compiled test binary in dir with extra environment and
// returns its standard output; a failing test is an error carrying the
// output's last lines.
func runTest(ctx context.Context, bin, dir string, env []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s %s: %w: %s", filepath.Base(bin), strings.Join(args, " "), err, tailLines(string(out), 5))
	}
	return string(out), nil
}

func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], " / ")
}

// benchLine is one result line of `go test -bench` output.
type benchLine struct {
	Name   string // without "Benchmark" and the -GOMAXPROCS suffix
	N      int64
	Values map[string]float64 // by unit: "ns/op", "allocs/op", "cpu-ns/op"…
}

// procsSuffix is the "-2" go test appends to a benchmark's name when
// GOMAXPROCS is not 1. None of the measured sub-benchmarks' own names end
// in a dash and digits, so stripping it is unambiguous here.
var procsSuffix = regexp.MustCompile(`-\d+$`)

// parseBenchOutput reads the result lines of `go test -bench` output (the
// format of golang.org/x/perf's benchfmt: name, iterations, then value
// and unit pairs). Other lines (logs, PASS, goos…) are skipped; a result
// line that does not parse is an error naming its line number.
func parseBenchOutput(out string) ([]benchLine, error) {
	var res []benchLine
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for ln := 1; sc.Scan(); ln++ {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 || !strings.HasPrefix(fields[0], "Benchmark") {
			continue
		}
		n, err := strconv.ParseInt(fields[1], 10, 64)
		if err != nil {
			continue // a name printed alone before a benchmark's logs
		}
		if len(fields)%2 != 0 || n <= 0 {
			return nil, fmt.Errorf("benchmark output line %d: want name, iterations and value-unit pairs: %q", ln, sc.Text())
		}
		l := benchLine{Name: procsSuffix.ReplaceAllString(strings.TrimPrefix(fields[0], "Benchmark"), ""), N: n, Values: map[string]float64{}}
		for i := 2; i < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("benchmark output line %d: value %q of %s is not a number", ln, fields[i], fields[i+1])
			}
			l.Values[fields[i+1]] = v
		}
		res = append(res, l)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("benchmark output: %w", err)
	}
	return res, nil
}

// benchValues collects unit's value of every result named name, in order
// (one per -count round).
func benchValues(lines []benchLine, name, unit string) []float64 {
	var vs []float64
	for _, l := range lines {
		if v, ok := l.Values[unit]; ok && l.Name == name {
			vs = append(vs, v)
		}
	}
	return vs
}

// pairedRatio is the median over rounds of num[i]/den[i]: each round's
// case against the baseline measured next to it, which cancels load that
// drifts between rounds. NaN when the rounds do not pair up.
func pairedRatio(num, den []float64) float64 {
	if len(num) == 0 || len(num) != len(den) {
		return math.NaN()
	}
	rs := make([]float64, len(num))
	for i := range num {
		rs[i] = num[i] / den[i]
	}
	return median(rs)
}

// needRounds checks that every name has want results for unit.
func needRounds(lines []benchLine, unit string, want int, names ...string) error {
	for _, n := range names {
		if got := len(benchValues(lines, n, unit)); got != want {
			return fmt.Errorf("benchmark %s: %d results with %s, want %d", n, got, unit, want)
		}
	}
	return nil
}
