package spend

import (
	"context"
	"math"
	"sort"
	"time"
)

// Reporter answers reports from raw records and their roll-ups. Stores
// keep raw records for a retention period and roll-ups (hourly for the
// retention period, daily forever), updated in the same transaction as the
// raw rows, so a report gives the same totals before and after a prune.
type Reporter interface {
	Report(ctx context.Context, q Query) (Report, error)
}

// Report is an aggregation and what it covers.
type Report struct {
	// Rows are sorted by cost, descending (by time for ByDay and ByHour).
	Rows []Row `json:"rows"`
	// From and To are the bounds the rows cover; zero: open.
	From time.Time `json:"from,omitzero"`
	To   time.Time `json:"to,omitzero"`
	// Rounded says a bound fell before RawSince, where only daily roll-ups
	// remain, and was widened to whole UTC days; or, for ByHour, that the
	// hours before RawSince were left out.
	Rounded bool `json:"rounded"`
	// RawSince is the start of the raw records and hourly roll-ups still
	// kept (zero: nothing pruned yet).
	RawSince time.Time `json:"raw_since,omitzero"`
}

// VersionReporter lists the router versions seen in a period.
type VersionReporter interface {
	// Versions reads roll-ups as Report does, so it covers every period;
	// bounds before the pruned raw records widen to whole UTC days.
	Versions(ctx context.Context, q Query) ([]VersionSeen, error)
}

// VersionSeen is one router version's traffic in a period: when it first
// and last routed a request there, and how many requests it routed (a
// new version's First is about when it was loaded).
type VersionSeen struct {
	Version           string    `json:"version"`
	First             time.Time `json:"first"`
	Last              time.Time `json:"last"`
	Requests          int64     `json:"requests"`
	DriftScored       int64     `json:"drift_scored"`
	OutOfDistribution int64     `json:"out_of_distribution"`
}

// LatencyBoundsMS are the upper bounds, in milliseconds, of the latency
// histogram's buckets; one more bucket holds everything above the last.
// They are about 1.5x apart, so a percentile read from the histogram is
// within one bucket's width of the true one.
var LatencyBoundsMS = [...]int64{5, 10, 15, 20, 30, 40, 50, 75, 100, 150, 200, 300, 400, 500, 750,
	1000, 1500, 2000, 3000, 4000, 5000, 7500, 10000, 15000, 20000, 30000, 60000, 120000, 300000}

// LatencyBuckets is the number of histogram buckets.
const LatencyBuckets = len(LatencyBoundsMS) + 1

// Histogram counts requests per latency bucket (LatencyBoundsMS).
type Histogram [LatencyBuckets]int64

// LatencyBucket is the bucket of a latency of ms milliseconds.
func LatencyBucket(ms int64) int {
	return sort.Search(len(LatencyBoundsMS), func(i int) bool { return ms < LatencyBoundsMS[i] })
}

// Add counts one request of ms milliseconds.
func (h *Histogram) Add(ms int64) { h[LatencyBucket(ms)]++ }

// Merge adds o's counts to h.
func (h *Histogram) Merge(o *Histogram) {
	if o == nil {
		return
	}
	for i, n := range o {
		h[i] += n
	}
}

// Count is the number of requests counted.
func (h *Histogram) Count() int64 {
	var n int64
	for _, c := range h {
		n += c
	}
	return n
}

// Quantile estimates the q-quantile (0 < q <= 1) in milliseconds,
// interpolating linearly inside its bucket; NaN when h is empty. Above the
// last bound it returns that bound: the histogram knows no more.
func (h *Histogram) Quantile(q float64) float64 {
	n := h.Count()
	if n == 0 {
		return math.NaN()
	}
	rank := q * float64(n)
	var cum float64
	for i, c := range h {
		if c == 0 {
			continue
		}
		if cum+float64(c) >= rank {
			if i == len(LatencyBoundsMS) {
				return float64(LatencyBoundsMS[i-1])
			}
			lo := 0.0
			if i > 0 {
				lo = float64(LatencyBoundsMS[i-1])
			}
			hi := float64(LatencyBoundsMS[i])
			return lo + (hi-lo)*(rank-cum)/float64(c)
		}
		cum += float64(c)
	}
	return float64(LatencyBoundsMS[len(LatencyBoundsMS)-1])
}

// SortRows orders rows as Report documents: by group for ByDay and ByHour
// (their groups sort as times), else by cost descending, then group.
func SortRows(g GroupBy, rows []Row) {
	sort.SliceStable(rows, func(i, j int) bool {
		if g == ByDay || g == ByHour {
			return rows[i].Group < rows[j].Group
		}
		if rows[i].CostUSD != rows[j].CostUSD {
			return rows[i].CostUSD > rows[j].CostUSD
		}
		return rows[i].Group < rows[j].Group
	})
}

// Sum adds rows into one row named group; costs are summed in nano-dollars
// so the total is exact.
func Sum(group string, rows []Row) Row {
	t := Row{Group: group}
	var cost, base int64
	var lat *Histogram
	for _, r := range rows {
		t.Requests += r.Requests
		t.Errors += r.Errors
		t.InputTokens += r.InputTokens
		t.OutputTokens += r.OutputTokens
		t.ThinkingTokens += r.ThinkingTokens
		t.Routed += r.Routed
		t.DriftScored += r.DriftScored
		t.OutOfDistribution += r.OutOfDistribution
		cost += Nanos(r.CostUSD)
		base += Nanos(r.BaselineCostUSD)
		if r.Latency != nil {
			if lat == nil {
				lat = &Histogram{}
			}
			lat.Merge(r.Latency)
		}
	}
	t.CostUSD, t.BaselineCostUSD, t.SavingsUSD = USD(cost), USD(base), USD(base-cost)
	t.Latency = lat
	return t
}
