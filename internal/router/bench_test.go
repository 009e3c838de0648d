package router

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// benchQuery builds an n-word query from real MMLU text, so n-gram lookups
// hit trained weights as in production.
func benchQuery(tb testing.TB, words int) string {
	d := mustRecorded(tb)
	var w []string
	for i := 0; len(w) < words; i++ {
		w = append(w, strings.Fields(d.test[i].Prompt)...)
	}
	return strings.Join(w[:words], " ")
}

var benchModel = func() func(tb testing.TB) *Model {
	var m *Model
	return func(tb testing.TB) *Model {
		if m == nil {
			m, _ = trainRecorded(tb, mustRecorded(tb), nil)
		}
		return m
	}
}()

// BenchmarkRoute measures one Route call (the full decision: features,
// classifier, score, policy, probabilities map) on 10/100/1,000-word
// queries, and reports p50/p99 latency over single timed calls.
func BenchmarkRoute(b *testing.B) {
	m := benchModel(b)
	ctx := context.Background()
	for _, n := range []int{10, 100, 1000} {
		q := benchQuery(b, n)
		b.Run(fmt.Sprintf("words=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := m.Route(ctx, q); err != nil {
					b.Fatal(err)
				}
			}
			lat := make([]time.Duration, 2000)
			for i := range lat {
				t := time.Now()
				_, _ = m.Route(ctx, q)
				lat[i] = time.Since(t)
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
			b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
		})
	}
}

// BenchmarkPredict is the allocation-free core of Route (no map).
func BenchmarkPredict(b *testing.B) {
	m := benchModel(b)
	q := benchQuery(b, 100)
	b.ReportAllocs()
	for b.Loop() {
		m.Predict(q)
	}
}

// BenchmarkTrain measures a full Train (validation fit + final fit, SFT 3
// epochs + DPO 1 epoch) on 1k, 4k and all (~9.7k) recorded-MMLU train rows.
func BenchmarkTrain(b *testing.B) {
	d := mustRecorded(b)
	for _, n := range []int{1000, 4000, len(d.sft)} {
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			cfg := DefaultTrainConfig()
			step := len(d.sft) / n
			ids := map[string]bool{}
			for i := 0; i < len(d.sft) && len(cfg.SFT) < n; i += step {
				cfg.SFT = append(cfg.SFT, d.sft[i])
				ids[d.sft[i].ID] = true
			}
			for _, r := range d.dpo {
				if ids[r.ID] {
					cfg.DPO = append(cfg.DPO, r)
				}
			}
			for b.Loop() {
				if _, _, err := Train(context.Background(), cfg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRouteColdCache is BenchmarkRoute with the CPU caches flushed
// (a 64 MiB sweep, outside the timer) before every call: in a gateway the
// request handling between two decisions evicts the router's tables, so
// this bounds what a decision costs when every weight lookup misses.
func BenchmarkRouteColdCache(b *testing.B) {
	m := benchModel(b)
	ctx := context.Background()
	flush := make([]byte, 64<<20)
	for _, n := range []int{10, 100} {
		q := benchQuery(b, n)
		b.Run(fmt.Sprintf("words=%d", n), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				for j := 0; j < len(flush); j += 64 {
					flush[j]++
				}
				b.StartTimer()
				if _, err := m.Route(ctx, q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRouteMixed rotates 64 distinct queries per size, as the
// latency section of `make bench` does, so weight lookups miss the cache
// as they do across real requests rather than repeating one query's.
func BenchmarkRouteMixed(b *testing.B) {
	m := benchModel(b)
	ctx := context.Background()
	d := mustRecorded(b)
	var words []string
	for _, r := range d.test {
		words = append(words, strings.Fields(r.Prompt)...)
	}
	for _, n := range []int{10, 100, 1000} {
		qs := make([]string, 64)
		for i := range qs {
			s := (i * n) % (len(words) - n)
			qs[i] = strings.Join(words[s:s+n], " ")
		}
		b.Run(fmt.Sprintf("words=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := m.Route(ctx, qs[i%len(qs)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
