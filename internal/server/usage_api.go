package server

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/llmrouter/llmrouter/internal/apierr"
	"github.com/llmrouter/llmrouter/internal/router"
	"github.com/llmrouter/llmrouter/internal/spend"
)

// The usage API (GET /v1/usage/{view}, admin keys only) is what the
// dashboard draws and what scripts read: every figure comes from the spend
// store's roll-ups, aggregated in SQL. Views: summary, series, groups,
// budgets, router, versions, and dashboard (all of them in one answer). Filters:
// from and to (RFC 3339 or YYYY-MM-DD, UTC; to is exclusive), key, model.

// BaselineNote says how the baseline cost is computed, wherever it is shown.
const BaselineNote = "Baseline cost is an estimate: each request's own input and output tokens priced at the baseline model. " +
	"The baseline model would have written a different number of tokens, so the true cost of sending everything there is unknown. " +
	"An escalated cascade counts one baseline for its two calls."

// usageFilter is a request's filters.
type usageFilter struct {
	From, To     time.Time
	KeyID, Model string
}

func (f usageFilter) query(g spend.GroupBy) spend.Query {
	return spend.Query{From: f.From, To: f.To, KeyID: f.KeyID, Model: f.Model, GroupBy: g}
}

func parseUsageFilter(v url.Values) (usageFilter, error) {
	var f usageFilter
	var err error
	if f.From, err = parseTime("from", v.Get("from")); err != nil {
		return f, err
	}
	if f.To, err = parseTime("to", v.Get("to")); err != nil {
		return f, err
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return f, apierr.New(apierr.Invalid, "from %s is not before to %s", v.Get("from"), v.Get("to"))
	}
	f.KeyID, f.Model = v.Get("key"), v.Get("model")
	return f, nil
}

func parseTime(name, s string) (time.Time, error) {
	if t, ok := spend.ParseBound(s); ok {
		return t, nil
	}
	return time.Time{}, apierr.New(apierr.Invalid, "%s %q: want a UTC date like 2026-01-01 or an RFC 3339 time", name, s)
}

// Totals is the summary's headline.
type Totals struct {
	spend.Row
	ErrorRate float64 `json:"error_rate"`
	// SavingsShare is SavingsUSD / BaselineCostUSD.
	SavingsShare float64 `json:"savings_share"`
	// OODShare is OutOfDistribution / DriftScored: the share of the
	// routed traffic the router was not trained on.
	OODShare float64 `json:"out_of_distribution_share"`
}

// DriftNote says what the out-of-distribution figures mean, wherever they
// are shown.
const DriftNote = "A routed query is out of distribution when its drift (how unlike the router's training queries it is, 0 to 1) " +
	"reaches the threshold when it is routed. The share counts requests whose drift the router could score; " +
	"requests recorded before the gateway kept drift count as not routed."

// RetrainHint is what to do when the share is high.
const RetrainHint = "Retrain on your own traffic: llmrouter pipeline --input-file captured.jsonl --judge pairwise"

// DriftInfo is how out-of-distribution traffic is judged.
type DriftInfo struct {
	Threshold float64 `json:"threshold"`
	Note      string  `json:"note"`
	Hint      string  `json:"hint"`
}

func driftInfo() DriftInfo {
	return DriftInfo{Threshold: router.DriftThreshold, Note: DriftNote, Hint: RetrainHint}
}

// Latency are request latency percentiles in milliseconds, read from a
// histogram whose buckets are about 1.5x apart.
type Latency struct {
	Count int64    `json:"count"`
	P50   *float64 `json:"p50_ms"`
	P90   *float64 `json:"p90_ms"`
	P99   *float64 `json:"p99_ms"`
	Note  string   `json:"note"`
}

// Baseline says what savings are measured against.
type Baseline struct {
	Model       string  `json:"model"`
	InputPrice  float64 `json:"input_usd_per_mtok"`
	OutputPrice float64 `json:"output_usd_per_mtok"`
	Note        string  `json:"note"`
}

// Coverage is what a report covers (spend.Report's bounds).
type Coverage struct {
	From     *time.Time `json:"from"`
	To       *time.Time `json:"to"`
	Rounded  bool       `json:"rounded"`
	RawSince *time.Time `json:"raw_since"`
	Note     string     `json:"note,omitempty"`
}

// Summary is GET /v1/usage/summary.
type Summary struct {
	Coverage Coverage  `json:"coverage"`
	Baseline Baseline  `json:"baseline"`
	Totals   Totals    `json:"totals"`
	Latency  Latency   `json:"latency"`
	Drift    DriftInfo `json:"drift"`
}

// GroupRow is one row of a breakdown, with its share of the requests.
type GroupRow struct {
	spend.Row
	RequestShare float64 `json:"request_share"`
	ErrorRate    float64 `json:"error_rate"`
	// OODShare is the row's OutOfDistribution / DriftScored.
	OODShare float64 `json:"out_of_distribution_share"`
}

// Groups is GET /v1/usage/groups and /v1/usage/series.
type Groups struct {
	By       spend.GroupBy `json:"by"`
	Coverage Coverage      `json:"coverage"`
	Rows     []GroupRow    `json:"rows"`
}

// reporter is the store's reporting side, or a 503 saying why not.
func (s *Server) reporter() (spend.Reporter, error) {
	if r, ok := s.deps.Store.(spend.Reporter); ok {
		return r, nil
	}
	return nil, apierr.New(apierr.UpstreamUnavailable, "no spend store that can report is configured (spend.sqlite_path or spend.postgres_url_env)")
}

func coverage(rep spend.Report) Coverage {
	c := Coverage{Rounded: rep.Rounded}
	opt := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		return &t
	}
	c.From, c.To, c.RawSince = opt(rep.From), opt(rep.To), opt(rep.RawSince)
	if rep.Rounded {
		c.Note = "Raw records before raw_since have been pruned (spend.retention): bounds before it were widened to whole UTC days, and hourly series start at raw_since."
	}
	return c
}

func (s *Server) summary(ctx context.Context, f usageFilter) (Summary, error) {
	r, err := s.reporter()
	if err != nil {
		return Summary{}, err
	}
	q := f.query(spend.ByTotal)
	q.Latency = true
	rep, err := r.Report(ctx, q)
	if err != nil {
		return Summary{}, apierr.Wrap(apierr.Internal, err, "could not read the spend store")
	}
	out := Summary{Coverage: coverage(rep), Baseline: Baseline{Model: s.ops.baseline,
		InputPrice: s.ops.baselinePrice.Input, OutputPrice: s.ops.baselinePrice.Output, Note: BaselineNote}, Drift: driftInfo()}
	t := spend.Sum("", rep.Rows)
	out.Totals = Totals{Row: t, ErrorRate: ratio(t.Errors, t.Requests), OODShare: ratio(t.OutOfDistribution, t.DriftScored)}
	if t.BaselineCostUSD > 0 {
		out.Totals.SavingsShare = t.SavingsUSD / t.BaselineCostUSD
	}
	out.Latency.Note = "Percentiles of request latency (arrival to last byte), interpolated in histogram buckets about 1.5x apart."
	if h := t.Latency; h != nil && h.Count() > 0 {
		pct := func(q float64) *float64 { v := math.Round(h.Quantile(q)*10) / 10; return &v }
		out.Latency.Count, out.Latency.P50, out.Latency.P90, out.Latency.P99 = h.Count(), pct(0.5), pct(0.9), pct(0.99)
	}
	return out, nil
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// groups is one breakdown; limit > 0 keeps the first rows (by cost).
func (s *Server) groups(ctx context.Context, f usageFilter, by spend.GroupBy, limit int) (Groups, error) {
	r, err := s.reporter()
	if err != nil {
		return Groups{}, err
	}
	rep, err := r.Report(ctx, f.query(by))
	if err != nil {
		return Groups{}, apierr.Wrap(apierr.Internal, err, "could not read the spend store")
	}
	total := spend.Sum("", rep.Rows)
	out := Groups{By: by, Coverage: coverage(rep), Rows: make([]GroupRow, 0, len(rep.Rows))}
	for i, row := range rep.Rows {
		if limit > 0 && i == limit {
			break
		}
		out.Rows = append(out.Rows, GroupRow{Row: row, RequestShare: ratio(row.Requests, total.Requests), ErrorRate: ratio(row.Errors, row.Requests),
			OODShare: ratio(row.OutOfDistribution, row.DriftScored)})
	}
	return out, nil
}

// seriesGrouping is the series' period for the granularity parameter:
// day (the default) or hour.
func seriesGrouping(granularity string) (spend.GroupBy, error) {
	switch granularity {
	case "", "day":
		return spend.ByDay, nil
	case "hour":
		return spend.ByHour, nil
	}
	return "", apierr.New(apierr.Invalid, "granularity %q: want day or hour", granularity)
}

// groupings the groups view accepts.
var viewGroupings = map[string]spend.GroupBy{
	"model": spend.ByModel, "policy": spend.ByPolicy, "key": spend.ByKey, "cascade": spend.ByCascade,
	"day": spend.ByDay, "hour": spend.ByHour,
}

func (s *Server) handleUsage(w http.ResponseWriter, r *http.Request) {
	status, err := s.serveUsage(w, r)
	if err != nil {
		status = s.writeError(w, err)
	}
	s.metrics.request("/v1/usage", status)
}

func (s *Server) serveUsage(w http.ResponseWriter, r *http.Request) (int, error) {
	f, err := parseUsageFilter(r.URL.Query())
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	var v any
	switch view := r.PathValue("view"); view {
	case "summary":
		v, err = s.summary(ctx, f)
	case "series":
		var g spend.GroupBy
		if g, err = seriesGrouping(r.URL.Query().Get("granularity")); err == nil {
			v, err = s.groups(ctx, f, g, 0)
		}
	case "groups":
		by := r.URL.Query().Get("by")
		g, ok := viewGroupings[by]
		if !ok {
			return 0, apierr.New(apierr.Invalid, "by %q: want model, policy, key, cascade, day or hour", by)
		}
		v, err = s.groups(ctx, f, g, 0)
	case "budgets":
		v, err = s.budgets(ctx, f.KeyID)
	case "router":
		v = s.routerInfo()
	case "versions":
		v, err = s.versions(ctx, f)
	case "dashboard":
		v, err = s.dashboard(ctx, f, r.URL.Query().Get("granularity"))
	default:
		return 0, apierr.New(apierr.NotFound, "unknown usage view %q (summary, series, groups, budgets, router, versions, dashboard)", view)
	}
	if err != nil {
		return 0, err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, v)
	return http.StatusOK, nil
}

// Dashboard is GET /v1/usage/dashboard: everything the page draws.
type Dashboard struct {
	Filters struct {
		From  string `json:"from,omitempty"`
		To    string `json:"to,omitempty"`
		Key   string `json:"key,omitempty"`
		Model string `json:"model,omitempty"`
	} `json:"filters"`
	GeneratedAt time.Time    `json:"generated_at"`
	Summary     Summary      `json:"summary"`
	Series      Groups       `json:"series"`
	ByModel     Groups       `json:"by_model"`
	ByPolicy    Groups       `json:"by_policy"`
	ByCascade   Groups       `json:"by_cascade"`
	TopKeys     Groups       `json:"top_keys"`
	Budgets     BudgetsView  `json:"budgets"`
	Router      RouterInfo   `json:"router"`
	Versions    VersionsView `json:"versions"`
	// Keys and Models are the filter choices: configured ones.
	Keys   []string `json:"keys"`
	Models []string `json:"models"`
}

func (s *Server) dashboard(ctx context.Context, f usageFilter, granularity string) (*Dashboard, error) {
	d := &Dashboard{GeneratedAt: s.now().UTC(), Router: s.routerInfo(), Models: s.cat.Names()}
	d.Filters.Key, d.Filters.Model = f.KeyID, f.Model
	if !f.From.IsZero() {
		d.Filters.From = f.From.Format(time.RFC3339)
	}
	if !f.To.IsZero() {
		d.Filters.To = f.To.Format(time.RFC3339)
	}
	for _, k := range s.cfg.Auth.Keys {
		d.Keys = append(d.Keys, k.ID)
	}
	if len(d.Keys) == 0 {
		d.Keys = []string{spend.Anonymous}
	}
	series, err := seriesGrouping(granularity)
	if err != nil {
		return nil, err
	}
	// The reports are independent reads: run them at once, so the page
	// waits for the slowest, not the sum (both stores read concurrently).
	var wg sync.WaitGroup
	errs := make([]error, 8)
	run := func(i int, f func() error) {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = f() }()
	}
	run(0, func() (err error) { d.Summary, err = s.summary(ctx, f); return })
	for i, g := range []struct {
		dst   *Groups
		by    spend.GroupBy
		limit int
	}{{&d.Series, series, 0}, {&d.ByModel, spend.ByModel, 0}, {&d.ByPolicy, spend.ByPolicy, 0},
		{&d.ByCascade, spend.ByCascade, 0}, {&d.TopKeys, spend.ByKey, 10}} {
		run(1+i, func() (err error) { *g.dst, err = s.groups(ctx, f, g.by, g.limit); return })
	}
	run(6, func() (err error) { d.Budgets, err = s.budgets(ctx, f.KeyID); return })
	run(7, func() (err error) { d.Versions, err = s.versions(ctx, f); return })
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return d, nil
}

// BudgetsView is GET /v1/usage/budgets: every budget's headroom now.
type BudgetsView struct {
	Enabled bool                `json:"enabled"`
	Period  spend.Period        `json:"period,omitempty"`
	Global  *spend.BudgetUsage  `json:"global,omitempty"`
	Keys    []spend.BudgetUsage `json:"keys"`
	Error   string              `json:"error,omitempty"`
}

// budgets reads the counters; an outage is reported in the view, not as
// a failed page, since the spend figures do not depend on it.
func (s *Server) budgets(ctx context.Context, keyID string) (BudgetsView, error) {
	v := BudgetsView{Keys: []spend.BudgetUsage{}}
	b := s.deps.Budgets
	if b == nil {
		return v, nil
	}
	cfg := b.Config()
	v.Enabled, v.Period = cfg.GlobalUSD > 0 || cfg.PerKeyUSD > 0 || len(cfg.Keys) > 0, cfg.Period
	ids := []string{}
	for _, k := range s.cfg.Auth.Keys {
		if keyID == "" || k.ID == keyID {
			ids = append(ids, k.ID)
		}
	}
	if len(s.cfg.Auth.Keys) == 0 && (keyID == "" || keyID == spend.Anonymous) {
		ids = append(ids, spend.Anonymous)
	}
	g, err := b.Usage(ctx, "")
	if err != nil {
		v.Error = fmt.Sprintf("budget counters unavailable: %v", err)
		return v, nil
	}
	v.Global = &g
	for _, id := range ids {
		u, err := b.Usage(ctx, id)
		if err != nil {
			v.Error = fmt.Sprintf("budget counters unavailable: %v", err)
			return v, nil
		}
		v.Keys = append(v.Keys, u)
	}
	return v, nil
}

// VersionsView is GET /v1/usage/versions: the router versions that routed
// requests in the period, first seen first, and the one serving now.
type VersionsView struct {
	Versions []VersionRow `json:"versions"`
	// Serving is the version routing new requests ("" without a trained
	// router), loaded at ServingSince: at startup or the last reload.
	Serving      string     `json:"serving,omitempty"`
	ServingSince *time.Time `json:"serving_since,omitempty"`
	Note         string     `json:"note"`
}

// VersionRow is one version's traffic in the period.
type VersionRow struct {
	spend.VersionSeen
	OODShare float64 `json:"out_of_distribution_share"`
}

// VersionsNote says where the versions come from.
const VersionsNote = "Read from the spend store's version roll-ups, as the other figures: bounds before the pruned raw records widen to whole UTC days. " +
	"A version's first request is about when it was loaded; the one serving now was loaded at serving_since."

func (s *Server) versions(ctx context.Context, f usageFilter) (VersionsView, error) {
	v := VersionsView{Versions: []VersionRow{}, Note: VersionsNote}
	if rt := s.rt.Load(); rt.router != nil {
		since := rt.loadedAt.UTC()
		v.Serving, v.ServingSince = rt.version, &since
	}
	vr, ok := s.deps.Store.(spend.VersionReporter)
	if !ok {
		return v, apierr.New(apierr.UpstreamUnavailable, "no spend store that can report is configured (spend.sqlite_path or spend.postgres_url_env)")
	}
	seen, err := vr.Versions(ctx, f.query(spend.ByTotal))
	if err != nil {
		return v, apierr.Wrap(apierr.Internal, err, "could not read the spend store")
	}
	for _, x := range seen {
		v.Versions = append(v.Versions, VersionRow{VersionSeen: x, OODShare: ratio(x.OutOfDistribution, x.DriftScored)})
	}
	return v, nil
}
