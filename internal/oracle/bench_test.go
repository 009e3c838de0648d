package oracle

import (
	"context"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter/internal/judge"
)

// BenchmarkRun1000 runs 1,000 questions at the default concurrency (16)
// against fakes with 100 ms latency, and reports the wall time against the
// bound latency × calls ÷ concurrency. Run it by hand:
//
//	go test -run '^$' -bench BenchmarkRun1000 -benchtime 1x ./internal/oracle
func BenchmarkRun1000(b *testing.B) {
	const latency = 100 * time.Millisecond
	for _, tc := range []struct {
		name          string
		llm, pairwise bool
		calls         int
	}{{"rule-judge", false, false, 2000}, {"llm-judge", true, false, 4000}, {"pairwise-judge", false, true, 4000}} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				up := newFakeUpstream()
				up.latency = latency
				up.answer = routeFake
				cfg := baseConfig(b, up, testItems(1000), b.TempDir())
				cfg.Concurrency = 0 // the default
				if !tc.llm {
					cfg.Judge, cfg.JudgeName = judge.Rule(nil), "rule"
				}
				if tc.pairwise {
					// Both answers come before the two judge calls, so the
					// critical path is still two calls long.
					p, m, _ := fakeRegistry{up}.Get("judge-m")
					cfg.Items = capturedItemsLike(cfg.Items)
					cfg.Label, cfg.Pairwise, cfg.JudgeName = LabelPairwise, judge.NewPairwise(p, m), "pairwise:judge-m"
				}
				start := time.Now()
				if _, err := Run(context.Background(), cfg); err != nil {
					b.Fatal(err)
				}
				wall := time.Since(start)
				bound := latency * time.Duration(tc.calls) / 16
				b.ReportMetric(wall.Seconds(), "wall-s")
				b.ReportMetric(bound.Seconds(), "bound-s")
				b.ReportMetric(wall.Seconds()/bound.Seconds(), "x-bound")
				if up.total != tc.calls {
					b.Fatalf("calls = %d, want %d", up.total, tc.calls)
				}
			}
		})
	}
}
