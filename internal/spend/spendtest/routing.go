package spendtest

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter/internal/spend"
)

// VersionStore is a report store that lists router versions.
type VersionStore interface {
	ReportStore
	spend.VersionReporter
}

// ExpectVersions is the oracle of spend.VersionReporter over recs.
func ExpectVersions(recs []spend.Record, q spend.Query) []spend.VersionSeen {
	by := map[string]*spend.VersionSeen{}
	for _, r := range recs {
		if r.RouterVersion == "" || (!q.From.IsZero() && r.Time.Before(q.From)) || (!q.To.IsZero() && !r.Time.Before(q.To)) ||
			(q.KeyID != "" && r.KeyID != q.KeyID) || (q.Model != "" && r.Model != q.Model) {
			continue
		}
		t := r.Time.UTC().Truncate(time.Millisecond)
		v := by[r.RouterVersion]
		if v == nil {
			v = &spend.VersionSeen{Version: r.RouterVersion, First: t, Last: t}
			by[r.RouterVersion] = v
		}
		if t.Before(v.First) {
			v.First = t
		}
		if t.After(v.Last) {
			v.Last = t
		}
		if r.Superseded() {
			continue
		}
		v.Requests++
		if r.HasDrift {
			v.DriftScored++
			if r.OutOfDistribution {
				v.OutOfDistribution++
			}
		}
	}
	out := []spend.VersionSeen{}
	for _, v := range by {
		out = append(out, *v)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].First.Equal(out[j].First) {
			return out[i].First.Before(out[j].First)
		}
		return out[i].Version < out[j].Version
	})
	return out
}

// FormatVersions renders versions one per line for comparison.
func FormatVersions(vs []spend.VersionSeen) string {
	var b strings.Builder
	for _, v := range vs {
		fmt.Fprintf(&b, "%s %s..%s req=%d scored=%d ood=%d\n", v.Version, v.First.Format(time.RFC3339Nano),
			v.Last.Format(time.RFC3339Nano), v.Requests, v.DriftScored, v.OutOfDistribution)
	}
	return b.String()
}

// RunVersions checks Versions against ExpectVersions for every query of
// Queries on a store holding recs.
func RunVersions(t *testing.T, s VersionStore, recs []spend.Record) {
	t.Helper()
	seen := 0
	for _, q := range Queries() {
		got, err := s.Versions(context.Background(), q)
		if err != nil {
			t.Fatalf("%+v: %v", q, err)
		}
		want := ExpectVersions(recs, q)
		seen += len(want)
		if g, w := FormatVersions(got), FormatVersions(want); g != w {
			t.Errorf("versions from %v to %v key %q model %q:\ngot\n%s\nwant\n%s", q.From, q.To, q.KeyID, q.Model, g, w)
		}
	}
	if seen == 0 {
		t.Fatal("no query saw a router version: the records carry none")
	}
}

// Unrouted is recs as a store from before routing was recorded holds
// them: no router version, no drift.
func Unrouted(recs []spend.Record) []spend.Record {
	out := make([]spend.Record, len(recs))
	for i, r := range recs {
		r.RouterVersion, r.Drift, r.HasDrift, r.OutOfDistribution = "", 0, false, false
		out[i] = r
	}
	return out
}

// RunMigratedRouting checks a store migrated from before routing was
// recorded: it holds old (written then, so Unrouted) and reports them
// exactly, as not routed; records written after the migration (fresh)
// count their routing, in reports and versions alike.
func RunMigratedRouting(t *testing.T, s VersionStore, old []spend.Record) {
	t.Helper()
	RunReports(t, s, Unrouted(old))
	fresh := Records(400, 5)
	for i := range fresh {
		fresh[i].RequestID = fmt.Sprint("after-", i)
	}
	Write(t, s, fresh)
	all := append(Unrouted(old), fresh...)
	RunReports(t, s, all)
	RunVersions(t, s, all)
	rep, err := s.Report(context.Background(), spend.Query{GroupBy: spend.ByTotal})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Rows) != 1 || rep.Rows[0].Routed == 0 || rep.Rows[0].OutOfDistribution == 0 {
		t.Errorf("after the migration, routed records count nothing: %+v", rep.Rows)
	}
}
