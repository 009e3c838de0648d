package main

import (
	"context"
	"fmt"
	"time"
)

// driftSection measures what reading a query's drift adds to a routing
// decision with internal/router's BenchmarkDrift: Route (which computes
// the drift in the same pass as the features) against Decide(Predict)
// without it, and Drift alone, at three query lengths.
func (b *bench) driftSection(ctx context.Context) (*Section, error) {
	s := &Section{Title: sectionTitles["drift"],
		Intro: "What the drift score (how unlike the training queries a query is) costs next to the routing decision, from internal/router's `BenchmarkDrift` on the SFT+DPO classifier trained on recorded MMLU and queries cut from its test split: " +
			"`Route` as the gateway calls it (the decision with its drift, computed in the same pass as the features), the baseline `Decide(Predict(q))`, the same decision without drift, and `Drift` alone, which hashes the query's n-grams again on its own."}
	bin, dir, err := b.testBinary(ctx, "./internal/router")
	if err != nil {
		return nil, err
	}
	rounds, benchtime := b.size(10, 1), b.dur(200*time.Millisecond, 0)
	bt := benchtime.String()
	if benchtime == 0 {
		bt = "1x"
	}
	out, err := runTest(ctx, bin, dir, nil, "-test.run", "^$", "-test.bench", "^BenchmarkDrift$",
		"-test.benchtime", bt, "-test.count", fmt.Sprint(rounds))
	if err != nil {
		return nil, err
	}
	lines, err := parseBenchOutput(out)
	if err != nil {
		return nil, err
	}
	t := Table{Caption: fmt.Sprintf("Medians over %d rounds; the ratios divide each round's figure by the decision without drift in the same round and take the median.", rounds),
		Header: []string{"words", "decision without drift (baseline)", "`Route` (with drift)", "`Route` × baseline", "drift added", "`Drift` alone", "`Drift` alone × baseline", "allocs: baseline / Route / Drift"}}
	for _, words := range []int{10, 100, 1000} {
		p := fmt.Sprintf("Drift/words=%d/", words)
		base, route, alone := p+"route-without-drift", p+"route", p+"drift"
		if err := needRounds(lines, "ns/op", rounds, base, route, alone); err != nil {
			return nil, err
		}
		bv, rv, av := benchValues(lines, base, "ns/op"), benchValues(lines, route, "ns/op"), benchValues(lines, alone, "ns/op")
		allocs := func(name string) string { return f(median(benchValues(lines, name, "allocs/op")), 0) }
		t.add(fmt.Sprint(words), dur(time.Duration(median(bv))), dur(time.Duration(median(rv))), ratio(pairedRatio(rv, bv)),
			signedDur(time.Duration(median(rv)-median(bv))), dur(time.Duration(median(av))), ratio(pairedRatio(av, bv)),
			allocs(base)+" / "+allocs(route)+" / "+allocs(alone))
	}
	s.Tables = append(s.Tables, t)
	s.note("Command: `go test -run '^$' -bench '^BenchmarkDrift$' -benchtime %s -count %d ./internal/router/`; go test runs the three cases of every length in turn in each round.", bt, rounds)
	s.note("Section \"Router decision latency\" times `Route` per call on many distinct queries; this section only sets the drift against the decision, one query per length, so its absolute times are not comparable with that table's p50s.")
	return s, nil
}
