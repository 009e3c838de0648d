package server

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/llmrouter/llmrouter/internal/router"
	"github.com/llmrouter/llmrouter/internal/spend"
	"github.com/llmrouter/llmrouter/internal/upstreamfake"
)

// The dashboard's browser tests drive /ui in headless Chromium: the page
// must show what the spend store holds, filter as asked, and show nothing
// without the admin key. LLMROUTER_WRITE_SCREENSHOT=1 also writes
// docs/dashboard.png (CI leaves it alone, so the tree stays clean).

// chromium finds a Chromium binary, or skips t saying how to get one.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("LLMROUTER_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no Chromium for the dashboard's browser tests: apt-get install -y chromium (bash .ci/run installs it), or set LLMROUTER_CHROMIUM")
	return ""
}

// browser starts headless Chromium for t.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium(t)), chromedp.NoSandbox,
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(1400, 1000))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() {
		cancelTimeout()
		cancel()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// history writes two weeks of seeded past traffic straight into the
// store, so the charts have days to show: both keys, both models, every
// cascade outcome, some errors; routed by an older router version for the
// first week and by version since, some of it out of distribution.
func history(t *testing.T, g *real, now time.Time, version string) int64 {
	t.Helper()
	st, pm := g.srv.deps.Store, g.srv.cfg.PolicyMapping
	cheap, strong := g.srv.cat.Models[pm.CheapModel].Price, g.srv.cat.Models[pm.StrongModel].Price
	rng := rand.New(rand.NewPCG(11, 13))
	rrng := rand.New(rand.NewPCG(17, 19)) // routing, apart from the rest
	var n int64
	start := now.UTC().Truncate(24*time.Hour).AddDate(0, 0, -13)
	for i := 0; i < 700; i++ {
		ts := start.Add(time.Duration(rng.Int64N(int64(now.Sub(start) - 2*time.Hour))))
		r := spend.Record{Time: ts, RequestID: fmt.Sprint("hist-", i), KeyID: []string{"team-a", "team-a", "team-b"}[rng.IntN(3)],
			Model: pm.CheapModel, Policy: "Standard_Query", Rule: "threshold", InputTokens: 200 + rng.IntN(800), OutputTokens: 100 + rng.IntN(400),
			Status: "ok", LatencyMS: int64(300 + rng.ExpFloat64()*900)}
		if rng.IntN(4) == 0 {
			r.Model, r.Policy = pm.StrongModel, "Complex_Query"
		}
		if rng.IntN(25) == 0 {
			r.Status, r.OutputTokens = "upstream_unavailable", 0
		}
		if rrng.IntN(5) > 0 {
			r.RouterVersion, r.HasDrift, r.Drift = historyVersion, true, rrng.Float64()*0.7
			if ts.After(start.AddDate(0, 0, 7)) {
				r.RouterVersion, r.Drift = version, rrng.Float64()
			}
			r.OutOfDistribution = router.OutOfDistribution(r.Drift)
		}
		switch rng.IntN(10) {
		case 0:
			r.Cascade, r.CascadeStep, r.Rule = spend.CascadeAccepted, spend.StepCheap, "cascade"
		case 1:
			c := r
			c.Cascade, c.CascadeStep, c.Rule = spend.CascadeEscalated, spend.StepCheap, "cascade"
			c.CostUSD, c.BaselineCostUSD = cheap.Cost(c.InputTokens, c.OutputTokens), strong.Cost(c.InputTokens, c.OutputTokens)
			if err := st.Record(context.Background(), c); err != nil {
				t.Fatal(err)
			}
			r.Model, r.Cascade, r.CascadeStep, r.Rule = pm.StrongModel, spend.CascadeEscalated, spend.StepStrong, "cascade"
		}
		p := cheap
		if r.Model == pm.StrongModel {
			p = strong
		}
		r.CostUSD, r.BaselineCostUSD = p.Cost(r.InputTokens, r.OutputTokens), strong.Cost(r.InputTokens, r.OutputTokens)
		if err := st.Record(context.Background(), r); err != nil {
			t.Fatal(err)
		}
		n++
	}
	return n
}

// historyVersion is the router version of history's first week.
const historyVersion = "0a1b2c3d4e5f"

// uiUSD and uiPct format as app.js does.
func uiUSD(v float64) string {
	a := math.Abs(v)
	s := fmt.Sprintf("$%.6f", a)
	if a >= 100 {
		s = fmt.Sprintf("$%.2f", a)
	}
	if v < 0 {
		return "-" + s
	}
	return s
}

func uiPct(v float64) string { return fmt.Sprintf("%.1f%%", v*100) }

func byTestID(id string) chromedp.CSS { return chromedp.CSS(fmt.Sprintf(`[data-testid=%q]`, id)) }

// dashboardGateway serves a gateway with a trained router and cascade
// verifier, two weeks of history and some live traffic.
func dashboardGateway(t *testing.T) (*real, *router.Model) {
	t.Helper()
	plain, _ := cascadeModels(t)
	m, err := router.Load(plain)
	if err != nil {
		t.Fatal(err)
	}
	fake := upstreamfake.New(t, upstreamfake.WithAPIKey(""))
	r := startOps(t, fake, opsOpts{extra: fmt.Sprintf("router: {model_path: %s}\nbudgets: {period: monthly, global_usd: 50, per_key_usd: 20}\n", plain),
		cheap: "gemini-2.5-flash", strong: "gemini-2.5-pro", prices: [4]float64{0.30, 2.50, 1.25, 10}})
	n := history(t, r, time.Now(), m.Meta.WeightsSHA256[:12])
	traffic(t, 40, r)
	for i, model := range []string{"router-cascade-1", "router-cascade-0", "router-cascade-1"} {
		body := fmt.Sprintf(`{"model":%q,"max_tokens":50,"messages":[{"role":"user","content":"Tom has %d apples and buys 4 more. How many?"}]}`, model, i+2)
		if status, _, resp := r.post("/v1/chat/completions", body, bearerHdr(keyB)...); status != 200 {
			t.Fatalf("%s: %d %s", model, status, resp)
		}
	}
	r.waitRequests(n + 43)
	return r, m
}

// expectation is what the page must show for a filter.
func expectation(t *testing.T, r *real, q spend.Query) map[string]string {
	t.Helper()
	rep := r.srv.deps.Store.(spend.Reporter)
	report := func(g spend.GroupBy) []spend.Row {
		q.GroupBy = g
		out, err := rep.Report(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		return out.Rows
	}
	tot := spend.Sum("", report(spend.ByTotal))
	want := map[string]string{
		"kpi-cost": uiUSD(tot.CostUSD), "kpi-baseline": uiUSD(tot.BaselineCostUSD), "kpi-savings": uiUSD(tot.SavingsUSD),
		"kpi-requests": fmt.Sprint(tot.Requests), "kpi-error-rate": uiPct(ratio(tot.Errors, tot.Requests)),
		"kpi-errors": fmt.Sprintf("%d errors", tot.Errors),
	}
	want["ood-share"], want["drift-threshold"] = "–", fmt.Sprintf("%.2f", router.DriftThreshold)
	if tot.DriftScored > 0 {
		want["ood-share"] = uiPct(ratio(tot.OutOfDistribution, tot.DriftScored))
	}
	want["ood-counts"] = fmt.Sprintf("%d of %d scored routed requests", tot.OutOfDistribution, tot.DriftScored)
	vs, err := r.srv.deps.Store.(spend.VersionReporter).Versions(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		want["version-requests-"+v.Version] = fmt.Sprint(v.Requests)
		want["version-ood-"+v.Version] = uiPct(ratio(v.OutOfDistribution, v.DriftScored))
	}
	for _, row := range report(spend.ByModel) {
		want["share-model-"+row.Group] = fmt.Sprintf("%s · %d req · %s", uiPct(ratio(row.Requests, tot.Requests)), row.Requests, uiUSD(row.CostUSD))
	}
	var casc int64
	rows := report(spend.ByCascade)
	for _, row := range rows {
		if row.Group != "" {
			casc += row.Requests
		}
	}
	for _, row := range rows {
		if row.Group != "" {
			want["cascade-"+row.Group] = fmt.Sprintf("%s · %d req · %s", uiPct(ratio(row.Requests, casc)), row.Requests, uiUSD(row.CostUSD))
		}
	}
	return want
}

// checkPage reads every figure in want from the page.
func checkPage(t *testing.T, ctx context.Context, want map[string]string, step string) {
	t.Helper()
	for id, w := range want {
		got, err := chromedp.Run(ctx, chromedp.TextContent(byTestID(id)))
		if err != nil {
			t.Fatalf("%s: read %s: %v", step, id, err)
		}
		if strings.TrimSpace(got) != w {
			t.Errorf("%s: %s shows %q, the store says %q", step, id, got, w)
		}
	}
}

// waitLoaded waits for the page's n-th successful load.
func waitLoaded(n int) chromedp.Action[chromedp.Void] {
	return chromedp.WaitReady(chromedp.CSS(fmt.Sprintf(`body[data-loaded="%d"]`, n)))
}

func TestDashboardInBrowser(t *testing.T) {
	ctx := browser(t)
	r, m := dashboardGateway(t)
	from := time.Now().UTC().AddDate(0, 0, -14).Format("2006-01-02")
	page := r.ts.URL + "/ui/#from=" + from

	// Without the admin key the page shows a key form and no figures; a
	// client key is refused.
	if err := chromedp.Do(ctx, chromedp.Navigate(page), chromedp.WaitVisible(byTestID("key-input"))); err != nil {
		t.Fatal(err)
	}
	mainVisible, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!document.querySelector("#main").hidden`))
	if err != nil {
		t.Fatal(err)
	}
	cost, err := chromedp.Run(ctx, chromedp.TextContent(byTestID("kpi-cost")))
	if err != nil {
		t.Fatal(err)
	}
	if mainVisible || cost != "" {
		t.Fatalf("figures shown without a key: main visible %v, cost %q", mainVisible, cost)
	}
	if err := chromedp.Do(ctx, chromedp.SendKeys(byTestID("key-input"), keyA), chromedp.Click(byTestID("key-submit"))); err != nil {
		t.Fatal(err)
	}
	loginErr, err := chromedp.Run(ctx, chromedp.Poll[string](`document.querySelector('[data-testid="login-error"]').textContent`, chromedp.WithPollingTimeout(10*time.Second)))
	if err != nil || !strings.Contains(loginErr, "invalid admin key") {
		t.Fatalf("a client key: login error %q, %v", loginErr, err)
	}

	// With it, every figure equals the store's.
	if err := chromedp.Do(ctx, chromedp.SendKeys(byTestID("key-input"), adminKey), chromedp.Click(byTestID("key-submit")), waitLoaded(1)); err != nil {
		t.Fatal(err)
	}
	q := spend.Query{From: mustDay(from)}
	want := expectation(t, r, q)
	want["router-version"] = m.Meta.WeightsSHA256[:12]
	want["router-cascade-threshold"] = fmt.Sprintf("%.3f", m.Cascade.Threshold())
	checkPage(t, ctx, want, "all traffic")
	checkDriftPanel(t, ctx, m.Meta.WeightsSHA256[:12])
	if os.Getenv("LLMROUTER_WRITE_SCREENSHOT") == "1" {
		screenshot(t, ctx)
	}

	// Key and model filters.
	err = chromedp.Do(ctx, chromedp.SetValue(byTestID("filter-key"), "team-b"), chromedp.SetValue(byTestID("filter-model"), "gemini-2.5-pro"),
		chromedp.Click(byTestID("filter-apply")), waitLoaded(2))
	if err != nil {
		t.Fatal(err)
	}
	q.KeyID, q.Model = "team-b", "gemini-2.5-pro"
	checkPage(t, ctx, expectation(t, r, q), "team-b on gemini-2.5-pro")

	// A date range: three days a week ago (the To date is inclusive).
	lo, hi := time.Now().UTC().AddDate(0, 0, -9).Format("2006-01-02"), time.Now().UTC().AddDate(0, 0, -7).Format("2006-01-02")
	err = chromedp.Do(ctx, chromedp.SetValue(byTestID("filter-key"), ""), chromedp.SetValue(byTestID("filter-model"), ""),
		chromedp.SetValue(byTestID("filter-from"), lo), chromedp.SetValue(byTestID("filter-to"), hi),
		chromedp.SetValue(byTestID("filter-granularity"), "hour"), chromedp.Click(byTestID("filter-apply")), waitLoaded(3))
	if err != nil {
		t.Fatal(err)
	}
	checkPage(t, ctx, expectation(t, r, spend.Query{From: mustDay(lo), To: mustDay(hi).AddDate(0, 0, 1)}), "three days, by hour")
	bars, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="chart-cost"] rect').length`))
	if err != nil {
		t.Fatal(err)
	}
	if bars < 2*24 {
		t.Errorf("the hourly chart of three days has %d bars", bars)
	}
}

// checkDriftPanel checks the out-of-distribution panel drew its chart
// and hint, and lists both router versions, the serving one marked.
func checkDriftPanel(t *testing.T, ctx context.Context, serving string) {
	t.Helper()
	bars, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="chart-drift"] rect').length`))
	if err != nil {
		t.Fatal(err)
	}
	if bars < 10 {
		t.Errorf("the out-of-distribution chart of two weeks has %d bars", bars)
	}
	hint, err := chromedp.Run(ctx, chromedp.TextContent(byTestID("drift-hint")))
	if err != nil || !strings.Contains(hint, "llmrouter pipeline --input-file captured.jsonl --judge pairwise") {
		t.Errorf("drift hint %q, %v", hint, err)
	}
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('[data-testid="versions"] tbody tr')].map((r) => r.dataset.testid)`))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"version-" + historyVersion, "version-" + serving}; strings.Join(rows, " ") != strings.Join(want, " ") {
		t.Errorf("version rows %v, want %v (oldest first)", rows, want)
	}
	mark, err := chromedp.Run(ctx, chromedp.TextContent(byTestID("serving-"+serving)))
	if err != nil || !strings.HasPrefix(mark, "serving since ") {
		t.Errorf("serving version's mark %q, %v", mark, err)
	}
}

// screenshot writes docs/dashboard.png from the page as loaded.
func screenshot(t *testing.T, ctx context.Context) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "..", "docs", "dashboard.png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes)", path, len(png))
}
