package server

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter/internal/provider"
	"github.com/llmrouter/llmrouter/internal/router"
	"github.com/llmrouter/llmrouter/internal/spend"
	"github.com/llmrouter/llmrouter/internal/spend/spendtest"
	"github.com/llmrouter/llmrouter/internal/upstreamfake"
)

// The queries the drift tests send: MMLU-shaped ones the router was
// trained on, and chit-chat it was not.
var (
	inDistribution = []string{
		"Which of the following is a prime number?\nA. 4\nB. 6\nC. 7\nD. 9\nAnswer:",
		"Which of the following is a noble gas?\nA. Oxygen\nB. Neon\nC. Iron\nD. Carbon\nAnswer:",
		"Which of the following organs produces insulin?\nA. Liver\nB. Heart\nC. Pancreas\nD. Lung\nAnswer:",
	}
	outOfDistribution = []string{"hi, how are you?", "lol what's up, wanna grab tacos later?"}
)

// savedDriftRouter is driftRouter saved and loaded back, so it has the
// weights digest its version is made of.
func savedDriftRouter(t *testing.T) (*router.Model, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "router")
	if err := router.Save(path, driftRouter(t)); err != nil {
		t.Fatal(err)
	}
	m, err := router.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Meta.WeightsSHA256) < 12 {
		t.Fatalf("saved model has weights digest %q", m.Meta.WeightsSHA256)
	}
	return m, path
}

func routedBody(t *testing.T, q string) string {
	return fmt.Sprintf(`{"model":"router","messages":[{"role":"user","content":%s}]}`, driftJSON(t, q))
}

// Each spend record carries the routing router's version and the query's
// drift, decided against router.DriftThreshold; a request for a named
// model carries neither.
func TestSpendRecordRouting(t *testing.T) {
	m, _ := savedDriftRouter(t)
	g := startGW(t, baseYAML+"router:\n  model_path: trained-in-test\n", withRouter(m), func(d *Deps) {
		d.Upstreams.(*mapUpstreams).ps = map[string]provider.Provider{"cheap": answering("cheap", 5, 5), "strong": answering("strong", 5, 5)}
	})
	want := map[string]string{}
	for _, q := range []string{inDistribution[0], outOfDistribution[0]} {
		code, hdr, resp := g.post("/v1/chat/completions", routedBody(t, q))
		if code != 200 {
			t.Fatalf("status %d: %s", code, resp)
		}
		want[hdr.Get("X-Request-Id")] = q
	}
	if code, _, resp := g.post("/v1/chat/completions", `{"model":"cheap","messages":[{"role":"user","content":"hi"}]}`); code != 200 {
		t.Fatalf("status %d: %s", code, resp)
	}
	version := m.Meta.WeightsSHA256[:12]
	var ood, direct int
	for _, r := range g.waitRecords(3) {
		q, routed := want[r.RequestID]
		if !routed {
			direct++
			if r.RouterVersion != "" || r.HasDrift || r.OutOfDistribution {
				t.Errorf("request for a named model records routing: %+v", r)
			}
			continue
		}
		d, _ := m.Drift(q)
		if r.RouterVersion != version || !r.HasDrift || !driftClose(r.Drift, d) || r.OutOfDistribution != router.OutOfDistribution(d) {
			t.Errorf("%q: version %q drift %v (%v) ood %v; want %q, %v, %v", q, r.RouterVersion, r.Drift, r.HasDrift, r.OutOfDistribution,
				version, d, router.OutOfDistribution(d))
		}
		if r.OutOfDistribution {
			ood++
		}
	}
	if direct != 1 || ood != 1 {
		t.Errorf("%d direct and %d out-of-distribution records, want 1 and 1 (request ids %v)", direct, ood, want)
	}
}

// driftOps serves a trained router through Open (SQLite store, or
// PostgreSQL at pgURL) with a
// day-old record of an earlier router version, then routes the drift
// queries and one named-model request. It returns the serving version and
// the number of requests of each kind.
func driftOps(t *testing.T, pgURL string) (g *real, version string, routed, ood int64) {
	t.Helper()
	m, path := savedDriftRouter(t)
	g = startOps(t, upstreamfake.New(t, upstreamfake.WithAPIKey("")), opsOpts{pgURL: pgURL, extra: fmt.Sprintf("router: {model_path: %s}\n", path)})
	old := spend.Record{Time: time.Now().Add(-26 * time.Hour), RequestID: "old", KeyID: "team-a", Model: "flash", Policy: "Standard_Query",
		Rule: "threshold", Status: "ok", LatencyMS: 100, RouterVersion: "0123456789ab", Drift: 0.9, HasDrift: true, OutOfDistribution: true}
	if err := g.srv.deps.Store.Record(context.Background(), old); err != nil {
		t.Fatal(err)
	}
	for _, q := range append(append([]string{}, inDistribution...), outOfDistribution...) {
		if code, _, resp := g.post("/v1/chat/completions", routedBody(t, q), bearerHdr(keyA)...); code != 200 {
			t.Fatalf("status %d: %s", code, resp)
		}
		if d, _ := m.Drift(q); router.OutOfDistribution(d) {
			ood++
		}
		routed++
	}
	if code, _, resp := g.post("/v1/chat/completions", `{"model":"flash","messages":[{"role":"user","content":"hi"}]}`, bearerHdr(keyB)...); code != 200 {
		t.Fatalf("status %d: %s", code, resp)
	}
	if ood != int64(len(outOfDistribution)) {
		t.Fatalf("%d of the queries are out of distribution, want the %d chit-chat ones", ood, len(outOfDistribution))
	}
	g.waitRequests(routed + 2)
	return g, m.Meta.WeightsSHA256[:12], routed, ood
}

// The usage API answers the share of routed traffic out of distribution
// in the summary and per period, and the router versions seen.
func TestUsageAPIDrift(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { checkUsageDrift(t, "") })
	t.Run("postgres", func(t *testing.T) { checkUsageDrift(t, spendtest.PostgresURL(t)) })
}

func checkUsageDrift(t *testing.T, pgURL string) {
	g, version, routed, ood := driftOps(t, pgURL)
	from := time.Now().UTC().AddDate(0, 0, -3).Format("2006-01-02")

	var s Summary
	g.usage("/v1/usage/summary?from="+from, &s)
	// The old record adds one routed, scored, out-of-distribution request.
	if tt := s.Totals; tt.Requests != routed+2 || tt.Routed != routed+1 || tt.DriftScored != routed+1 || tt.OutOfDistribution != ood+1 ||
		!driftClose(tt.OODShare, float64(ood+1)/float64(routed+1)) {
		t.Errorf("summary totals: %d requests, %d routed, %d scored, %d out of distribution, share %v; want %d, %d, %d, %d, %v",
			tt.Requests, tt.Routed, tt.DriftScored, tt.OutOfDistribution, tt.OODShare, routed+2, routed+1, routed+1, ood+1, float64(ood+1)/float64(routed+1))
	}
	if s.Drift.Threshold != router.DriftThreshold || !strings.Contains(s.Drift.Hint, "llmrouter pipeline --input-file captured.jsonl --judge pairwise") {
		t.Errorf("summary drift: %+v", s.Drift)
	}

	// Per hour: the live requests' hour holds the live share.
	var series Groups
	g.usage("/v1/usage/series?granularity=hour&from="+from, &series)
	hour := time.Now().UTC().Truncate(time.Hour).Format(time.RFC3339)
	var sum int64
	var live *GroupRow
	for i, row := range series.Rows {
		sum += row.OutOfDistribution
		if row.Group == hour {
			live = &series.Rows[i]
		}
	}
	// A run crossing the hour may split the live requests over two rows.
	if sum != ood+1 || (live != nil && live.Routed == routed && !driftClose(live.OODShare, float64(ood)/float64(routed))) {
		t.Errorf("hourly series: %d out of distribution in all (want %d); this hour %+v", sum, ood+1, live)
	}
	var days Groups
	g.usage("/v1/usage/series?from="+from, &days)
	if len(days.Rows) < 1 || len(days.Rows) > 3 {
		t.Fatalf("daily series: %d rows", len(days.Rows))
	}

	var v VersionsView
	g.usage("/v1/usage/versions?from="+from, &v)
	if v.Serving != version || v.ServingSince == nil || len(v.Versions) != 2 {
		t.Fatalf("versions: serving %q since %v, %d versions; want %q and 2: %+v", v.Serving, v.ServingSince, len(v.Versions), version, v)
	}
	if o, n := v.Versions[0], v.Versions[1]; o.Version != "0123456789ab" || o.Requests != 1 || o.OODShare != 1 ||
		n.Version != version || n.Requests != routed || n.OutOfDistribution != ood || n.First.Before(o.Last) || n.Last.Before(n.First) {
		t.Errorf("versions, oldest first: %+v", v.Versions)
	}
	// Filters apply: team-b sent no routed request.
	g.usage("/v1/usage/versions?key=team-b", &v)
	if len(v.Versions) != 0 {
		t.Errorf("team-b's versions: %+v", v.Versions)
	}

	var d Dashboard
	g.usage("/v1/usage/dashboard?from="+from, &d)
	if len(d.Versions.Versions) != 2 || d.Summary.Totals.OutOfDistribution != ood+1 {
		t.Errorf("dashboard: %d versions, %d out of distribution", len(d.Versions.Versions), d.Summary.Totals.OutOfDistribution)
	}
}
