package spendtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter/internal/spend"
)

// ReportStore is a spend store with reports and pruning (sqlite.Store,
// postgres.Store).
type ReportStore interface {
	spend.Store
	spend.Reporter
	spend.Totaler
	// Prune deletes what is older than the store's retention as of now.
	Prune(ctx context.Context, now time.Time) (int64, error)
}

// Day0 is the first day of Records.
var Day0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// Records are n seeded records spread over ten days from Day0: three
// keys, three models, every policy, plain requests and all three cascade
// outcomes (an escalated one is two records under one request id), some
// errors, latencies from milliseconds to minutes.
func Records(n int, seed uint64) []spend.Record {
	rng := rand.New(rand.NewPCG(seed, 7))
	// Routing has its own stream, so the other fields are as they were
	// before records carried it.
	rrng := rand.New(rand.NewPCG(seed, 11))
	versions := []string{"", "0123456789ab", "fedcba987654"}
	keys := []string{"team-a", "team-b", spend.Anonymous}
	models := []string{"flash", "pro", "mini"}
	policies := []string{"Standard_Query", "Complex_Query", "Ambiguous_Query"}
	var out []spend.Record
	for i := 0; len(out) < n; i++ {
		r := spend.Record{
			Time:      Day0.Add(time.Duration(rng.Int64N(int64(10 * 24 * time.Hour)))).Truncate(time.Millisecond),
			RequestID: fmt.Sprintf("req-%d", i), KeyID: keys[rng.IntN(len(keys))], Model: models[rng.IntN(len(models))],
			Policy: policies[rng.IntN(len(policies))], Rule: "static",
			InputTokens: rng.IntN(2000), OutputTokens: rng.IntN(800), ThinkingTokens: rng.IntN(3) * 50,
			Status: "ok", LatencyMS: int64(rng.ExpFloat64() * 800),
		}
		if rng.IntN(10) == 0 {
			r.Status = "upstream_unavailable"
		}
		if r.RouterVersion = versions[rrng.IntN(len(versions))]; r.RouterVersion != "" && rrng.IntN(5) > 0 {
			r.Drift, r.HasDrift = rrng.Float64(), true
			r.OutOfDistribution = r.Drift >= 0.5
		}
		r.CostUSD = float64(r.InputTokens)*1e-6 + float64(r.OutputTokens+r.ThinkingTokens)*4e-6
		r.BaselineCostUSD = float64(r.InputTokens)*5e-6 + float64(r.OutputTokens+r.ThinkingTokens)*2e-5
		switch rng.IntN(8) {
		case 0:
			r.Cascade, r.CascadeStep = spend.CascadeAccepted, spend.StepCheap
		case 1:
			r.Cascade, r.CascadeStep = spend.CascadeSkipped, spend.StepStrong
		case 2:
			cheap := r
			cheap.Cascade, cheap.CascadeStep, cheap.Model = spend.CascadeEscalated, spend.StepCheap, "flash"
			out = append(out, cheap)
			r.Cascade, r.CascadeStep, r.Model = spend.CascadeEscalated, spend.StepStrong, "pro"
			r.Time = r.Time.Add(time.Duration(rng.IntN(3000)) * time.Millisecond)
		}
		out = append(out, r)
	}
	return out[:n]
}

// Expect aggregates recs as a store's report must, in Go: the oracle
// the SQL is checked against.
func Expect(recs []spend.Record, q spend.Query) []spend.Row {
	by := map[string][]spend.Record{}
	for _, r := range recs {
		if (!q.From.IsZero() && r.Time.Before(q.From)) || (!q.To.IsZero() && !r.Time.Before(q.To)) ||
			(q.KeyID != "" && r.KeyID != q.KeyID) || (q.Model != "" && r.Model != q.Model) {
			continue
		}
		g := ""
		switch q.GroupBy {
		case spend.ByModel:
			g = r.Model
		case spend.ByPolicy:
			g = r.Policy
		case spend.ByKey:
			g = r.KeyID
		case spend.ByCascade:
			g = r.Cascade
		case spend.ByDay:
			g = r.Time.UTC().Format("2006-01-02")
		case spend.ByHour:
			g = r.Time.UTC().Truncate(time.Hour).Format(time.RFC3339)
		}
		by[g] = append(by[g], r)
	}
	rows := []spend.Row{}
	for g, rs := range by {
		row := spend.Row{Group: g}
		var lat spend.Histogram
		var cost, base int64
		for _, r := range rs {
			row.InputTokens += int64(r.InputTokens)
			row.OutputTokens += int64(r.OutputTokens)
			row.ThinkingTokens += int64(r.ThinkingTokens)
			cost += spend.Nanos(r.CostUSD)
			if r.Superseded() {
				continue
			}
			row.Requests++
			if r.Status != "ok" {
				row.Errors++
			}
			base += spend.Nanos(r.BaselineCostUSD)
			lat.Add(r.LatencyMS)
			if r.RouterVersion != "" {
				row.Routed++
			}
			if r.HasDrift {
				row.DriftScored++
				if r.OutOfDistribution {
					row.OutOfDistribution++
				}
			}
		}
		if q.Latency {
			row.Latency = &lat
		}
		row.CostUSD, row.BaselineCostUSD, row.SavingsUSD = spend.USD(cost), spend.USD(base), spend.USD(base-cost)
		rows = append(rows, row)
	}
	spend.SortRows(q.GroupBy, rows)
	return rows
}

// Format renders rows one per line for comparison; with latency, the
// histogram too.
func Format(rows []spend.Row) string {
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "%q req=%d err=%d in=%d out=%d think=%d cost=%d base=%d save=%d routed=%d scored=%d ood=%d", r.Group, r.Requests, r.Errors,
			r.InputTokens, r.OutputTokens, r.ThinkingTokens, spend.Nanos(r.CostUSD), spend.Nanos(r.BaselineCostUSD),
			int64(r.SavingsUSD*1e9+0.5*sign(r.SavingsUSD)), r.Routed, r.DriftScored, r.OutOfDistribution)
		if r.Latency != nil {
			fmt.Fprintf(&b, " lat=%v", *r.Latency)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func sign(v float64) float64 {
	if v < 0 {
		return -1
	}
	return 1
}

// Queries is a table of reports over Records: every grouping, aligned and
// unaligned bounds, open bounds, filters.
func Queries() []spend.Query {
	at := func(d, h, m int) time.Time {
		return Day0.Add(time.Duration(d)*24*time.Hour + time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
	}
	var qs []spend.Query
	for _, g := range []spend.GroupBy{spend.ByTotal, spend.ByModel, spend.ByPolicy, spend.ByKey, spend.ByCascade, spend.ByDay, spend.ByHour} {
		qs = append(qs,
			spend.Query{GroupBy: g, Latency: true},
			spend.Query{GroupBy: g, From: at(2, 0, 0), To: at(7, 0, 0)},
			spend.Query{GroupBy: g, From: at(1, 13, 27), To: at(6, 2, 41), Latency: true},
			spend.Query{GroupBy: g, From: at(3, 4, 5), To: at(3, 4, 55)},
			spend.Query{GroupBy: g, From: at(3, 4, 5), To: at(3, 9, 55), KeyID: "team-a"},
			spend.Query{GroupBy: g, From: at(4, 0, 30), Model: "pro"},
			spend.Query{GroupBy: g, To: at(5, 23, 59), KeyID: "team-b", Model: "flash"},
		)
	}
	return qs
}

// RunReports checks every query of Queries against Expect on a store
// holding Records(n).
func RunReports(t *testing.T, s ReportStore, recs []spend.Record) {
	t.Helper()
	ctx := context.Background()
	for _, q := range Queries() {
		rep, err := s.Report(ctx, q)
		if err != nil {
			t.Fatalf("%+v: %v", q, err)
		}
		want := Expect(recs, q)
		if got, w := Format(rep.Rows), Format(want); got != w {
			t.Errorf("report %s from %v to %v key %q model %q:\ngot\n%s\nwant\n%s", q.GroupBy, q.From, q.To, q.KeyID, q.Model, got, w)
		}
		if rep.Rounded {
			t.Errorf("report %+v says rounded, but nothing was pruned", q)
		}
	}
}

// Write records recs (in batches, as the writer would) and waits for them.
func Write(t testing.TB, s spend.Store, recs []spend.Record) {
	t.Helper()
	ctx := context.Background()
	for i := 0; i < len(recs); i += 200 {
		batch := recs[i:min(i+200, len(recs))]
		errs := make(chan error, len(batch))
		for _, r := range batch {
			go func() { errs <- s.Record(ctx, r) }()
		}
		for range batch {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
	}
}

// RunPrune checks that pruning keeps every total: s holds recs (ten days
// from Day0) and keeps five days, pruned as of Day0 + 10 days.
func RunPrune(t *testing.T, s ReportStore, recs []spend.Record) {
	t.Helper()
	ctx := context.Background()
	horizon := Day0.Add(5 * 24 * time.Hour)
	var kept []spend.Query
	for _, g := range []spend.GroupBy{spend.ByTotal, spend.ByModel, spend.ByPolicy, spend.ByKey, spend.ByCascade, spend.ByDay} {
		kept = append(kept,
			spend.Query{GroupBy: g, Latency: true},
			spend.Query{GroupBy: g, From: Day0.Add(24 * time.Hour), To: Day0.Add(8 * 24 * time.Hour), KeyID: "team-a"},
			spend.Query{GroupBy: g, From: horizon.Add(-2 * 24 * time.Hour), Model: "pro", Latency: true},
			spend.Query{GroupBy: g, From: horizon.Add(7*time.Hour + 3*time.Minute)},
		)
	}
	before := make([]string, len(kept))
	for i, q := range kept {
		rep, err := s.Report(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		before[i] = Format(rep.Rows)
	}
	n, err := s.Prune(ctx, Day0.Add(10*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("prune deleted nothing")
	}
	for i, q := range kept {
		rep, err := s.Report(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if got := Format(rep.Rows); got != before[i] {
			t.Errorf("report %s %+v changed across the prune:\nbefore\n%s\nafter\n%s", q.GroupBy, q, before[i], got)
		}
		if rep.Rounded || !rep.RawSince.Equal(horizon) {
			t.Errorf("report %+v: rounded %v, raw since %v; want exact, raw since %v", q, rep.Rounded, rep.RawSince, horizon)
		}
	}
	// Bounds before the horizon widen to whole days; hours before it are
	// gone from hourly reports, which say so.
	q := spend.Query{GroupBy: spend.ByModel, From: Day0.Add(30*time.Hour + 5*time.Minute), To: Day0.Add(50 * time.Hour)}
	rep, err := s.Report(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	wide := spend.Query{GroupBy: spend.ByModel, From: Day0.Add(24 * time.Hour), To: Day0.Add(72 * time.Hour)}
	if got, want := Format(rep.Rows), Format(Expect(recs, wide)); !rep.Rounded || !rep.From.Equal(wide.From) || !rep.To.Equal(wide.To) || got != want {
		t.Errorf("before the horizon: rounded %v, %v..%v:\n%s\nwant whole days %v..%v:\n%s", rep.Rounded, rep.From, rep.To, got, wide.From, wide.To, want)
	}
	rep, err = s.Report(ctx, spend.Query{GroupBy: spend.ByHour})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := Format(rep.Rows), Format(Expect(recs, spend.Query{GroupBy: spend.ByHour, From: horizon})); !rep.Rounded || got != want {
		t.Errorf("hourly after the prune: rounded %v\n%s\nwant the hours from %v only\n%s", rep.Rounded, got, horizon, want)
	}
	// Router versions, like the totals, survive the prune in the daily
	// roll-up; bounds before the horizon widen to whole days.
	if vs, ok := s.(spend.VersionReporter); ok {
		for _, q := range []spend.Query{{}, {From: Day0.Add(2 * 24 * time.Hour), To: horizon.Add(30*time.Hour + 7*time.Minute), KeyID: "team-a"},
			{From: Day0.Add(30*time.Hour + 5*time.Minute), To: Day0.Add(50 * time.Hour), Model: "pro"}} {
			got, err := vs.Versions(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			wq := q
			if !wq.From.IsZero() && wq.From.Before(horizon) {
				wq.From = wq.From.Truncate(24 * time.Hour)
			}
			if !wq.To.IsZero() && wq.To.Before(horizon) && !wq.To.Equal(wq.To.Truncate(24*time.Hour)) {
				wq.To = wq.To.Truncate(24 * time.Hour).Add(24 * time.Hour)
			}
			if g, w := FormatVersions(got), FormatVersions(ExpectVersions(recs, wq)); g != w || g == "" {
				t.Errorf("versions %+v after the prune:\n%s\nwant (bounds before %v widened to days)\n%s", q, g, horizon, w)
			}
		}
	}
	if n, err := s.Prune(ctx, Day0.Add(10*24*time.Hour)); err != nil || n != 0 {
		t.Errorf("second prune deleted %d, %v; want 0", n, err)
	}
	// Budgets restored after a prune still see the whole period.
	byKey, total, err := s.SpentSince(ctx, Day0)
	if err != nil {
		t.Fatal(err)
	}
	all := spend.Sum("", Expect(recs, spend.Query{GroupBy: spend.ByKey}))
	if spend.Nanos(total) != spend.Nanos(all.CostUSD) || len(byKey) != 3 {
		t.Errorf("SpentSince after prune: $%.9f over %d keys, want $%.9f over 3", total, len(byKey), all.CostUSD)
	}
}

// RunPruneWhileWriting prunes s (holding old, ten days from Day0; its
// prune batches should be small) while new records are written: writes
// keep committing while the prune runs, every write succeeds, and the
// totals after are old's plus the new ones.
func RunPruneWhileWriting(t *testing.T, s ReportStore, old []spend.Record) {
	t.Helper()
	ctx := context.Background()
	now := Day0.Add(10 * 24 * time.Hour)
	fresh := Records(60, 9)
	for i := range fresh {
		fresh[i].Time = now.Add(-time.Duration(i) * time.Second)
		fresh[i].RequestID = fmt.Sprint("fresh-", i)
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.Prune(ctx, now)
		done <- err
	}()
	during, pruning := 0, true
	var pruneErr error
	for _, r := range fresh {
		if err := s.Record(ctx, r); err != nil {
			t.Fatal(err)
		}
		if pruning {
			select {
			case pruneErr = <-done:
				pruning = false
			default:
				during++
			}
		}
	}
	if pruning {
		pruneErr = <-done
	}
	if pruneErr != nil {
		t.Fatal(pruneErr)
	}
	// A prune holding the writer for its whole run would let none commit.
	if during < 3 {
		t.Errorf("only %d records committed while the prune ran: it held the writer", during)
	}
	all := append(append([]spend.Record{}, old...), fresh...)
	for _, g := range []spend.GroupBy{spend.ByKey, spend.ByModel, spend.ByDay} {
		rep, err := s.Report(ctx, spend.Query{GroupBy: g})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := Format(rep.Rows), Format(Expect(all, spend.Query{GroupBy: g})); got != want {
			t.Errorf("by %s after pruning while writing:\n%s\nwant\n%s", g, got, want)
		}
	}
}
