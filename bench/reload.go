package main

import (
	"context"
	"fmt"
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
	rounds, benchtime := b.size(10, 1), b.dur(time.Second, 0)
	args := []string{"-test.run", "^$", "-test.bench", "^BenchmarkReload$", "-test.count", fmt.Sprint(rounds)}
	bt := benchtime.String()
	if benchtime == 0 {
		bt = "1x"
	}
	args = append(args, "-test.benchtime", bt)
	out, err := runTest(ctx, bin, dir, nil, args...)
	if err != nil {
		return nil, err
	}
	lines, err := parseBenchOutput(out)
	if err != nil {
		return nil, err
	}
	const load, reload, poll = "Reload/router.Load", "Reload/ReloadRouter", "Reload/watch-poll"
	if err := needRounds(lines, "ns/op", rounds, load, reload, poll); err != nil {
		return nil, err
	}
	base := benchValues(lines, load, "ns/op")
	t := Table{Caption: fmt.Sprintf("Medians over %d rounds; the ratio divides each round's figure by router.Load's in the same round and takes the median.", rounds),
		Header: []string{"step", "time per call", "fastest round", "slowest round", "× router.Load"}}
	for _, r := range []struct{ name, label string }{
		{load, "`router.Load` alone (baseline)"}, {reload, "`ReloadRouter`: a whole reload"}, {poll, "watch poll (`router.watch`)"},
	} {
		vs := benchValues(lines, r.name, "ns/op")
		t.add(r.label, dur(time.Duration(median(vs))), dur(time.Duration(minOf(vs))), dur(time.Duration(maxOf(vs))), ratio(pairedRatio(vs, base)))
	}
	s.Tables = append(s.Tables, t)
	s.note("Command: `go test -run '^$' -bench '^BenchmarkReload$' -benchtime %s -count %d ./internal/server/`; go test runs the three steps in turn in every round, so each ratio pairs figures measured seconds apart.", bt, rounds)
	s.note("A reload at or under 1.00× router.Load means the gateway's own part (checks against the config, the swap) is lost in the noise of reading and verifying the files.")
	return s, nil
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
