package main

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"time"
)

// reloadSection measures a router hot reload with internal/server's
// BenchmarkReload: the reload the gateway does on SIGHUP or when the
// watcher sees new files, against router.Load alone (the floor it is
// built on) in the same round, and the watcher's cost per poll.
func (b *bench) reloadSection(ctx context.Context) (*Section, error) {
	s := &Section{Title: sectionTitles["reload"],
		Intro: "How long `serve` takes to swap in a retrained router (SIGHUP or `router.watch: true`), from internal/server's `BenchmarkReload`: `ReloadRouter` reads and checks the model files, derives the gateway's state from them and swaps it in; " +
			"the baseline is `router.Load` alone on the same files in the same round, the floor a reload is built on. The model is the SFT+DPO classifier trained on the recorded-MMLU slice the router package tests with: " +
			"a classifier's weights are sized by the feature hash and the topic head, not by the rows, so it reloads like the model trained on all of recorded MMLU. " +
			"`watch-poll` is what the watcher spends per poll (stat and fingerprint the model files), every `router.watch_interval` (default 2s)."}
	bin, dir, err := b.testBinary(ctx, "./internal/server")
	if err != nil {
		return nil, err
	}
	rounds, bt := b.size(8, 1), "1s"
	if b.opts.smoke {
		bt = "1x"
	}
	m, err := measureReload(ctx, bin, dir, rounds, bt)
	if err != nil {
		return nil, err
	}
	t := Table{Caption: fmt.Sprintf("Medians over %d rounds; the ratios divide each round's figure by router.Load's in the same round and take the median.", rounds),
		Header: []string{"step", "time per call", "fastest round", "slowest round", "× router.Load", "allocated per call", "with GOGC=400", "× router.Load, GOGC=400"}}
	for _, r := range reloadSteps {
		vs, gc := m.ns[r.name], m.ns[r.name+"@gogc"]
		cells := []string{r.label, dur(time.Duration(median(vs))), dur(time.Duration(minOf(vs))), dur(time.Duration(maxOf(vs))),
			fineRatio(pairedRatio(vs, m.ns[reloadLoad])), byteSize(m.bytes[r.name]), "—", "—"}
		if len(gc) > 0 {
			cells[6], cells[7] = dur(time.Duration(median(gc))), fineRatio(pairedRatio(gc, m.ns[reloadLoad+"@gogc"]))
		}
		t.add(cells...)
	}
	s.Tables = append(s.Tables, t)
	s.note("Command, per step and round: `go test -c ./internal/server && ./server.test -test.run '^$' -test.bench '^BenchmarkReload$/^router.Load$' -test.benchtime %s -test.benchmem` (and `ReloadRouter`, `watch-poll`; then the first two again with GOGC=400), run in internal/server; %d rounds, each step in its own process, the order rotated each round.", bt, rounds)
	s.note("`router.Load` alone keeps nothing between calls, so with the default GOGC the few MiB each call allocates start a collection on almost every call; the gateway holds its running model, which raises its heap goal, so a whole reload can measure below `router.Load` alone. With collections made rare (GOGC=400) the two are measured again.")
	s.Notes = append(s.Notes, m.verdict())
	return s, nil
}

const reloadLoad = "Reload/router.Load"

// reloadSteps are BenchmarkReload's sub-benchmarks; gogc marks those also
// measured with GOGC=400.
var reloadSteps = []struct {
	name, sub, label string
	gogc             bool
}{
	{reloadLoad, "router.Load", "`router.Load` alone (baseline)", true},
	{"Reload/ReloadRouter", "ReloadRouter", "`ReloadRouter`: a whole reload", true},
	{"Reload/watch-poll", "watch-poll", "watch poll (`router.watch: true`)", false},
}

// reloadRun holds every round's ns/op by step ("@gogc" for GOGC=400) and
// the last round's bytes allocated per call.
type reloadRun struct {
	ns    map[string][]float64
	bytes map[string]float64
}

// measureReload runs each step in its own process, so that one step's
// heap does not set the next one's collections, in rotated order.
// verdict says what the GOGC=400 pair shows of the gateway's own part of
// a reload (its checks against the config and the swap).
func (m *reloadRun) verdict() string {
	r := pairedRatio(m.ns["Reload/ReloadRouter@gogc"], m.ns[reloadLoad+"@gogc"])
	if r <= 1.05 {
		return fmt.Sprintf("With GOGC=400 a whole reload takes %s router.Load's time: the gateway's own part of a reload (its checks against the config and the swap) is below what this benchmark resolves, and a reload costs what loading the files costs.", ratio(r))
	}
	return fmt.Sprintf("With GOGC=400 a whole reload takes %s router.Load's time: the gateway's own part of a reload (its checks against the config and the swap) adds %s.", ratio(r),
		signedDur(time.Duration(median(m.ns["Reload/ReloadRouter@gogc"])-median(m.ns[reloadLoad+"@gogc"]))))
}

func measureReload(ctx context.Context, bin, dir string, rounds int, bt string) (*reloadRun, error) {
	type job struct {
		name, sub string
		gogc      bool
	}
	var jobs []job
	for _, st := range reloadSteps {
		jobs = append(jobs, job{st.name, st.sub, false})
		if st.gogc {
			jobs = append(jobs, job{st.name, st.sub, true})
		}
	}
	m := &reloadRun{ns: map[string][]float64{}, bytes: map[string]float64{}}
	for r := range rounds {
		for i := range jobs {
			j := jobs[(i+r)%len(jobs)]
			var env []string
			key := j.name
			if j.gogc {
				env, key = []string{"GOGC=400"}, j.name+"@gogc"
			}
			out, err := runTest(ctx, bin, dir, env, "-test.run", "^$", "-test.bench", "^BenchmarkReload$/^"+regexp.QuoteMeta(j.sub)+"$",
				"-test.benchtime", bt, "-test.benchmem", "-test.count", "1")
			if err != nil {
				return nil, err
			}
			lines, err := parseBenchOutput(out)
			if err != nil {
				return nil, err
			}
			if err := needRounds(lines, "ns/op", 1, j.name); err != nil {
				return nil, err
			}
			if err := needRounds(lines, "B/op", 1, j.name); err != nil {
				return nil, err
			}
			m.ns[key] = append(m.ns[key], benchValues(lines, j.name, "ns/op")[0])
			if !j.gogc {
				m.bytes[j.name] = benchValues(lines, j.name, "B/op")[0]
			}
		}
	}
	return m, nil
}

// fineRatio is ratio with the digits a small share needs.
func fineRatio(x float64) string {
	if x >= 0.1 || math.IsNaN(x) || math.IsInf(x, 0) {
		return ratio(x)
	}
	return fmt.Sprintf("%.4f×", x)
}

// byteSize is an allocation per call: bytes, KiB or MiB.
func byteSize(b float64) string {
	switch {
	case b < 1<<10:
		return fmt.Sprintf("%.0f B", b)
	case b < 1<<20:
		return fmt.Sprintf("%.1f KiB", b/(1<<10))
	}
	return mib(int64(b))
}

func minOf(xs []float64) float64 {
	m := xs[0]
	for _, x := range xs[1:] {
		m = min(m, x)
	}
	return m
}

func maxOf(xs []float64) float64 {
	m := xs[0]
	for _, x := range xs[1:] {
		m = max(m, x)
	}
	return m
}
