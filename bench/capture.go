package main

import (
	"context"
	"fmt"
	"time"
)

// captureCases are BenchmarkCaptureOverhead's sub-benchmarks; "off" is
// the baseline.
var captureCases = []struct{ name, label string }{
	{"off", "capture off (baseline)"},
	{"on", "capture on (defaults)"},
	{"on-full-redact", "capture on, `conversation: full`, two `redact` patterns"},
}

// captureSection measures what capturing traffic adds to a routed request
// with internal/server's BenchmarkCaptureOverhead: each case in its own
// process (a case's heap and background writer do not bill the next one),
// in an order rotated every round, the ratio to "off" taken per round.
func (b *bench) captureSection(ctx context.Context) (*Section, error) {
	s := &Section{Title: sectionTitles["capture"],
		Intro: "What capturing traffic (`capture.path`) adds to a routed request, from internal/server's `BenchmarkCaptureOverhead`: the full handler with an instant upstream, budgets in memory and a no-op spend store, " +
			"capture off, on with the defaults, and on with the whole conversation and two redact patterns. " +
			"CPU per request is the process's user and system time over the requests, the background writer's encoding and writes included (the benchmark closes the writer before it stops the clock), which a busy machine inflates far less than wall time; so CPU is the figure to read."}
	bin, dir, err := b.testBinary(ctx, "./internal/server")
	if err != nil {
		return nil, err
	}
	rounds, reqs := b.size(9, 1), b.size(100000, 200)
	wall := map[string][]float64{}
	cpu := map[string][]float64{}
	last := map[string]benchLine{}
	for r := range rounds {
		for i := range captureCases {
			c := captureCases[(i+r)%len(captureCases)]
			out, err := runTest(ctx, bin, dir, nil, "-test.run", "^$", "-test.bench", "^BenchmarkCaptureOverhead$/^"+c.name+"$",
				"-test.benchtime", fmt.Sprintf("%dx", reqs), "-test.count", "1")
			if err != nil {
				return nil, err
			}
			lines, err := parseBenchOutput(out)
			if err != nil {
				return nil, err
			}
			name := "CaptureOverhead/" + c.name
			if err := needRounds(lines, "cpu-ns/op", 1, name); err != nil {
				return nil, err
			}
			wall[c.name] = append(wall[c.name], benchValues(lines, name, "ns/op")[0])
			cpu[c.name] = append(cpu[c.name], benchValues(lines, name, "cpu-ns/op")[0])
			last[c.name] = lines[0]
		}
	}
	t := Table{Caption: "Medians over the rounds; the ratios divide each round's figure by the baseline's in the same round and take the median.",
		Header: []string{"case", "CPU per request", "CPU × off", "CPU added", "wall per request", "wall × off", "allocs/request", "rows dropped"}}
	base := median(cpu["off"])
	for _, c := range captureCases {
		l := last[c.name]
		dropped := "—"
		if v, ok := l.Values["dropped/op"]; ok {
			dropped = fmt.Sprintf("%.0f of %d", v*float64(l.N), l.N)
		}
		added := "—"
		if c.name != "off" {
			added = signedDur(time.Duration(median(cpu[c.name]) - base))
		}
		t.add(c.label, dur(time.Duration(median(cpu[c.name]))), ratio(pairedRatio(cpu[c.name], cpu["off"])), added,
			dur(time.Duration(median(wall[c.name]))), ratio(pairedRatio(wall[c.name], wall["off"])),
			f(l.Values["allocs/op"], 0), dropped)
	}
	s.Tables = append(s.Tables, t)
	s.note("Command, per case and round: `go test -c ./internal/server && ./server.test -test.run '^$' -test.bench '^BenchmarkCaptureOverhead$/^off$' -test.benchtime %dx` (and `on`, `on-full-redact`), run in internal/server; %d rounds, the order of the cases rotated each round, each case in its own process.", reqs, rounds)
	s.note("Rows dropped counts the last round's rows the writer's queue refused; none is the expected figure, since the benchmark waits for the writer before it stops, and a drop would make the capture look cheaper than it is.")
	s.note("On the request path itself, capture's `Add` is a hash, a lock and an append: `go test -run '^$' -bench Add ./internal/capture/`.")
	return s, nil
}
