package eval

import (
	"math"
	"slices"
)

// LatencyStats summarises per-query latencies in milliseconds.
type LatencyStats struct {
	Mean Float `json:"mean_ms"`
	P50  Float `json:"p50_ms"`
	P95  Float `json:"p95_ms"`
}

// Latency is the time to a final answer over the test questions. An
// escalated query waits for the cheap answer, then for the strong one (the
// verifier's microseconds are left out), so escalating adds the cheap
// call's latency to strong-only's and the strong call's to cheap-only's.
type Latency struct {
	// Source is "replay" (the replay provider's own timings, near zero,
	// not the models') or "live" (measured upstream calls).
	Source            string       `json:"source"`
	CheapOnly         LatencyStats `json:"cheap_only"`
	StrongOnly        LatencyStats `json:"strong_only"`
	Escalation        LatencyStats `json:"escalation"`
	AddedVsStrongOnly LatencyStats `json:"escalation_added_vs_strong_only"`
	AddedVsCheapOnly  LatencyStats `json:"escalation_added_vs_cheap_only"`
	// Cascade is the learned cascade at its threshold; QueryRouter the
	// query-only router at its own.
	Cascade     LatencyStats `json:"cascade_at_threshold"`
	QueryRouter LatencyStats `json:"query_router_at_threshold"`
}

// LatencyRow is one named line of the latency table.
type LatencyRow struct {
	Name  string
	Stats LatencyStats
}

// Rows lists the paths in the order the reports print them.
func (l Latency) Rows() []LatencyRow {
	return []LatencyRow{
		{"cheap-only", l.CheapOnly}, {"strong-only", l.StrongOnly}, {"escalation (cheap, then strong)", l.Escalation},
		{"escalation added vs strong-only", l.AddedVsStrongOnly}, {"escalation added vs cheap-only", l.AddedVsCheapOnly},
		{"cascade at its threshold", l.Cascade}, {"query router at its threshold", l.QueryRouter},
	}
}

func latencyOf(qs []Question, escalated, routedStrong []bool, source string) Latency {
	per := func(f func(i int, q Question) float64) LatencyStats {
		xs := make([]float64, len(qs))
		for i, q := range qs {
			xs[i] = f(i, q)
		}
		return latencyStats(xs)
	}
	return Latency{
		Source:            source,
		CheapOnly:         per(func(_ int, q Question) float64 { return q.Cheap.LatencyMS }),
		StrongOnly:        per(func(_ int, q Question) float64 { return q.Strong.LatencyMS }),
		Escalation:        per(func(_ int, q Question) float64 { return q.Cheap.LatencyMS + q.Strong.LatencyMS }),
		AddedVsStrongOnly: per(func(_ int, q Question) float64 { return q.Cheap.LatencyMS }),
		AddedVsCheapOnly:  per(func(_ int, q Question) float64 { return q.Strong.LatencyMS }),
		Cascade: per(func(i int, q Question) float64 {
			if escalated[i] {
				return q.Cheap.LatencyMS + q.Strong.LatencyMS
			}
			return q.Cheap.LatencyMS
		}),
		QueryRouter: per(func(i int, q Question) float64 {
			if routedStrong[i] {
				return q.Strong.LatencyMS
			}
			return q.Cheap.LatencyMS
		}),
	}
}

// latencyStats is the mean and the linearly interpolated 50th and 95th
// percentiles (position p·(n−1) in the sorted values, as numpy's default).
func latencyStats(xs []float64) LatencyStats {
	if len(xs) == 0 {
		return LatencyStats{Mean: NaN(), P50: NaN(), P95: NaN()}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	var sum float64
	for _, x := range s {
		sum += x
	}
	return LatencyStats{Mean: Float(sum / float64(len(s))), P50: Float(percentile(s, 0.50)), P95: Float(percentile(s, 0.95))}
}

func percentile(sorted []float64, p float64) float64 {
	pos := p * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	if lo+1 >= len(sorted) {
		return sorted[len(sorted)-1]
	}
	return lerp(sorted[lo], sorted[lo+1], pos-float64(lo))
}
