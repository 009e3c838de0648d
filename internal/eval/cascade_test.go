package eval

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// cascadeCase is four questions, cheap-only accuracy .5 and strong-only .75,
// every cheap call costing 1 and every strong call 10, so strong-only costs
// 40 and a cascade escalating k queries costs 4 + 10k.
func cascadeCase() ([]Question, CascadeInput) {
	q := qs([]string{I, C, I, C}, []string{C, C, C, I}, 1, 10)
	cheapMS := []float64{100, 200, 300, 400}
	strongMS := []float64{1000, 1000, 2000, 4000}
	for i := range q {
		q[i].Cheap.LatencyMS, q[i].Strong.LatencyMS = cheapMS[i], strongMS[i]
	}
	in := CascadeInput{
		Verifier: "signals", Threshold: 0.5, ThresholdSource: "test",
		Escalate: []float64{0.9, 0.1, 0.6, 0.3},
		Rule:     []float64{1, 0, 0, 1},
		Query: RouterRun{Name: "classifier", Scores: []float64{0.2, 0.9, 0.5, 0.1},
			Strong: []bool{false, true, true, false}, Threshold: 0.5},
		SkipShares:         []float64{0.25, 0.5},
		ModelSkipThreshold: math.NaN(),
		LatencySource:      "replay",
	}
	return q, in
}

type want struct {
	what      string
	got, want Float
}

func checkAll(t *testing.T, ws []want) {
	t.Helper()
	for _, w := range ws {
		if !near(float64(w.got), float64(w.want)) {
			t.Errorf("%s = %v, want %v", w.what, w.got, w.want)
		}
	}
}

// Hand-computed. Learned cascade, escalate order q0,q2,q3,q1 with gains
// +1,+1,−1,0: accuracy .5,.75,1,.75,.75 (APGR (.75−.5)/.25 = 1), cost
// 4,14,24,34,44. 95% of .75 is .7125, reached at k = .85: share .2125, cost
// 4 + 8.5 = 12.5, i.e. 3.125 per query, savings 1 − 12.5/40.
func TestEvaluateCascadeRows(t *testing.T) {
	q, in := cascadeCase()
	sec, err := EvaluateCascade(q, in)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range sec.Results {
		names = append(names, r.Name)
	}
	if got := strings.Join(names, ","); got != "cascade (learned),cascade (rules),random escalation,classifier (query-only),oracle verifier,cheap-only,strong-only" {
		t.Fatalf("rows %s", got)
	}
	l, r, rnd, qr := sec.Result(NameCascade), sec.Result(NameRuleCascade), sec.Result(NameRandomEscalation), sec.Result("classifier (query-only)")
	orc, cheap, strong := sec.Result(NameOracleVerifier), sec.Result("cheap-only"), sec.Result("strong-only")
	checkAll(t, []want{
		{"learned share", l.StrongShare, 0.5}, {"learned accuracy", l.Accuracy, 1}, {"learned pgr", l.PGR, 2},
		{"learned cost", l.Cost, 24}, {"learned cost/query", l.CostPerQuery, 6}, {"learned savings", l.CostSavings, 0.4},
		{"learned apgr", l.APGR, 1}, {"learned auc", l.AUC, 1}, {"learned cheap calls", l.CheapCallShare, 1},
		{"learned @80", l.StrongShareAt80, 0.1}, {"learned @90", l.StrongShareAt90, 0.175}, {"learned @95", l.StrongShareAt95, 0.2125},
		{"learned cost@95", l.CostPerQueryAt95, 3.125}, {"learned savings@95", l.CostSavingsAt95, 1 - 12.5/40},
		// Rules escalate q0,q3 (tie), then q1,q2: points (0,.5,4) (2,.5,24)
		// (4,.75,44). .7125 at k = 2 + 2·.85 = 3.7, cost 24 + 17 = 41.
		{"rule share", r.StrongShare, 0.5}, {"rule accuracy", r.Accuracy, 0.5}, {"rule cost", r.Cost, 24},
		{"rule apgr", r.APGR, 0.3}, {"rule auc", r.AUC, 0.5}, {"rule @95", r.StrongShareAt95, 0.925},
		{"rule cost@95", r.CostPerQueryAt95, 10.25}, {"rule savings@95", r.CostSavingsAt95, -0.025},
		// Random at the learned share .5: straight line (0,.5,4)–(4,.75,44).
		{"random accuracy", rnd.Accuracy, 0.625}, {"random cost", rnd.Cost, 24}, {"random apgr", rnd.APGR, 0.5},
		{"random @95", rnd.StrongShareAt95, 0.85}, {"random cost@95", rnd.CostPerQueryAt95, 9.5}, {"random savings@95", rnd.CostSavingsAt95, 0.05},
		// Query router, no cheap call when routed strong: order q1,q2,q0,q3,
		// accuracy .5,.5,.75,1,.75, cost 4,13,22,31,40; .7125 at k = 1.85,
		// cost 13 + .85·9 = 20.65.
		{"query share", qr.StrongShare, 0.5}, {"query accuracy", qr.Accuracy, 0.75}, {"query cost", qr.Cost, 22},
		{"query cheap calls", qr.CheapCallShare, 0.5}, {"query apgr", qr.APGR, 0.8}, {"query @95", qr.StrongShareAt95, 0.4625},
		{"query cost@95", qr.CostPerQueryAt95, 20.65 / 4}, {"query savings@95", qr.CostSavingsAt95, 1 - 20.65/40},
		// Oracle verifier: {q0,q2} then q1 then q3, cascade costs.
		{"oracle accuracy", orc.Accuracy, 1}, {"oracle cost", orc.Cost, 24}, {"oracle @95", orc.StrongShareAt95, 0.2125},
		{"oracle cost@95", orc.CostPerQueryAt95, 3.125},
		{"cheap accuracy", cheap.Accuracy, 0.5}, {"cheap cost/query", cheap.CostPerQuery, 1}, {"cheap cost@95", cheap.CostPerQueryAt95, NaN()},
		{"strong accuracy", strong.Accuracy, 0.75}, {"strong cost/query", strong.CostPerQuery, 10}, {"strong cheap calls", strong.CheapCallShare, 0},
		{"strong cost@95", strong.CostPerQueryAt95, 10}, {"strong savings@95", strong.CostSavingsAt95, 0},
	})
	if orc.Kind != "baseline" || l.Kind != KindCascade || qr.Kind != "router" || qr.Policies != nil {
		t.Errorf("kinds %s %s %s, policies %v", orc.Kind, l.Kind, qr.Kind, qr.Policies)
	}
	// The cost curve: cheap on every query, strong on each escalated one.
	var costs []float64
	for _, p := range l.Curve.Points {
		costs = append(costs, float64(p.Cost))
	}
	if len(costs) != 5 || costs[0] != 4 || costs[1] != 14 || costs[2] != 24 || costs[3] != 34 || costs[4] != 44 {
		t.Errorf("learned cost curve %v, want 4 14 24 34 44", costs)
	}
}

func TestEvaluateCascadeLatency(t *testing.T) {
	q, in := cascadeCase()
	sec, err := EvaluateCascade(q, in)
	if err != nil {
		t.Fatal(err)
	}
	lat := sec.Latency
	if lat.Source != "replay" {
		t.Errorf("source %q", lat.Source)
	}
	stats := func(name string, s LatencyStats, mean, p50, p95 float64) []want {
		return []want{{name + " mean", s.Mean, Float(mean)}, {name + " p50", s.P50, Float(p50)}, {name + " p95", s.P95, Float(p95)}}
	}
	var ws []want
	ws = append(ws, stats("cheap-only", lat.CheapOnly, 250, 250, 385)...)
	ws = append(ws, stats("strong-only", lat.StrongOnly, 2000, 1500, 3700)...)
	ws = append(ws, stats("escalation", lat.Escalation, 2250, 1750, 4085)...)
	ws = append(ws, stats("added vs strong", lat.AddedVsStrongOnly, 250, 250, 385)...)
	ws = append(ws, stats("added vs cheap", lat.AddedVsCheapOnly, 2000, 1500, 3700)...)
	// Escalated q0, q2: 1100, 200, 2300, 400.
	ws = append(ws, stats("cascade", lat.Cascade, 1000, 750, 2120)...)
	// Routed strong q1, q2: 100, 1000, 2000, 400.
	ws = append(ws, stats("query router", lat.QueryRouter, 875, 700, 1850)...)
	checkAll(t, ws)
}

func TestHybrid(t *testing.T) {
	q, in := cascadeCase()
	sec, err := EvaluateCascade(q, in)
	if err != nil {
		t.Fatal(err)
	}
	h := sec.Hybrid
	if len(h.Results) != 2 {
		t.Fatalf("%d hybrid results", len(h.Results))
	}
	// Skip 25% skips q1 (query score .9): order q1 | q0,q2,q3; strong costs
	// 11,10,11,11 with the cheap call skipped on q1. Accuracy .5,.5,.75,1,.75
	// (APGR .8), cost 4,13,23,33,43; .7125 at k = 1.85, cost 13 + 8.5.
	// At the threshold q0,q1,q2 go strong: accuracy 1, cost 11+10+11+1.
	s25 := h.Results[0]
	// Skip 50% skips q1, q2: order q1,q2 | q0,q3, cost 4,13,22,32,42.
	s50 := h.Results[1]
	checkAll(t, []want{
		{"25 target", s25.SkipShareTarget, 0.25}, {"25 threshold", s25.SkipThreshold, 0.9}, {"25 share", s25.SkipShare, 0.25},
		{"25 apgr", s25.APGR, 0.8}, {"25 @95", s25.StrongShareAt95, 0.4625},
		{"25 cost@95", s25.CostPerQueryAt95, 21.5 / 4}, {"25 savings@95", s25.CostSavingsAt95, 1 - 21.5/40},
		{"25 accuracy", s25.AtThreshold.Accuracy, 1}, {"25 cost", s25.AtThreshold.Cost, 33}, {"25 strong share", s25.AtThreshold.StrongShare, 0.75},
		{"50 threshold", s50.SkipThreshold, 0.5}, {"50 share", s50.SkipShare, 0.5}, {"50 apgr", s50.APGR, 0.8},
		{"50 cost@95", s50.CostPerQueryAt95, 20.65 / 4},
	})
	var th []Float
	var costs []float64
	for _, p := range s25.Curve.Points {
		th, costs = append(th, p.Threshold), append(costs, float64(p.Cost))
	}
	if th[0].Valid() || th[1].Valid() || th[2] != 0.9 || th[3] != 0.6 || th[4] != 0.3 {
		t.Errorf("skip-25 thresholds %v, want null null .9 .6 .3", th)
	}
	if costs[1] != 13 || costs[2] != 23 || costs[4] != 43 {
		t.Errorf("skip-25 cost curve %v", costs)
	}
	// The pure cascade reaches 95% at 3.125 per query: pre-routing costs more.
	if h.Helps || !strings.HasPrefix(h.Verdict, "pre-routing does not help, every skip share costs more") || !strings.Contains(h.Verdict, "skip 50%") {
		t.Errorf("helps %v, verdict %q", h.Helps, h.Verdict)
	}
}

// An uninformative verifier (all scores tied) and a perfect query router:
// skipping the two queries the strong model fixes reaches 95% far cheaper.
func TestHybridHelps(t *testing.T) {
	q, in := cascadeCase()
	in.Escalate = []float64{0.5, 0.5, 0.5, 0.5}
	in.Query.Scores = []float64{0.9, 0.2, 0.8, 0.1}
	in.SkipShares = []float64{0, 0.5}
	in.ModelSkipThreshold = 0.85
	sec, err := EvaluateCascade(q, in)
	if err != nil {
		t.Fatal(err)
	}
	l, h := sec.Result(NameCascade), sec.Hybrid
	if len(h.Results) != 3 || h.Results[2].Name != "skip at the model's threshold" || h.Results[2].SkipShareTarget.Valid() {
		t.Fatalf("hybrid results %+v", h.Results)
	}
	// Pure: .7125 at k = 3.4, cost 4 + 34. Skip 0 is the pure cascade. Skip
	// 50%: accuracy .5 → .75 over the first skipped query, cost 4 → 13:
	// k = .85, cost 4 + .85·9 = 11.65. The model's .85 skips q0 alone:
	// k = .85 too, the same cost.
	checkAll(t, []want{
		{"pure cost@95", l.CostPerQueryAt95, 9.5}, {"skip 0 cost@95", h.Results[0].CostPerQueryAt95, 9.5},
		{"skip 0 share", h.Results[0].SkipShare, 0},
		{"skip 50 cost@95", h.Results[1].CostPerQueryAt95, 11.65 / 4}, {"model skip share", h.Results[2].SkipShare, 0.25},
		{"model cost@95", h.Results[2].CostPerQueryAt95, 11.65 / 4},
	})
	if !math.IsInf(float64(h.Results[0].SkipThreshold), 1) {
		t.Errorf("skip 0 threshold %v, want +Inf (null in JSON)", h.Results[0].SkipThreshold)
	}
	if !h.Helps || !strings.HasPrefix(h.Verdict, "pre-routing helps, 69.3% cheaper: best skip 50%") {
		t.Errorf("helps %v, verdict %q", h.Helps, h.Verdict)
	}
}

func TestHybridVerdictMargin(t *testing.T) {
	pure := CascadeResult{CostPerQueryAt95: 1, Result: Result{CurveStats: &CurveStats{APGR: 0.7}}}
	cases := []struct {
		cost   Float
		helps  bool
		prefix string
	}{
		{0.98, true, "pre-routing helps, 2.0% cheaper"},
		{0.995, false, "pre-routing does not help (within 1%)"},
		{1.005, false, "pre-routing does not help (within 1%)"},
		{1.2, false, "pre-routing does not help, every skip share costs more"},
		{NaN(), false, "no verdict"},
	}
	for _, tc := range cases {
		helps, v := hybridVerdict(pure, []HybridResult{{Name: "skip 10%", CostPerQueryAt95: tc.cost}})
		if helps != tc.helps || !strings.HasPrefix(v, tc.prefix) {
			t.Errorf("cost %v: helps %v %q, want %v %q", tc.cost, helps, v, tc.helps, tc.prefix)
		}
	}
}

func TestEvaluateCascadeErrors(t *testing.T) {
	q, in := cascadeCase()
	bad := []func(*CascadeInput){
		func(in *CascadeInput) { in.Escalate = in.Escalate[:3] },
		func(in *CascadeInput) { in.Rule = nil },
		func(in *CascadeInput) { in.Escalate = []float64{math.NaN(), 0, 0, 0} },
		func(in *CascadeInput) { in.Threshold = math.NaN() },
		func(in *CascadeInput) { in.SkipShares = []float64{1.5} },
	}
	for i, f := range bad {
		c := in
		f(&c)
		if _, err := EvaluateCascade(q, c); err == nil {
			t.Errorf("case %d: no error", i)
		}
	}
	if _, err := EvaluateCascade(nil, CascadeInput{}); err == nil {
		t.Error("empty test set accepted")
	}
}

// The section is additive: a comparison without it encodes as before, and
// one with it round-trips.
func TestCascadeJSON(t *testing.T) {
	q, in := cascadeCase()
	cmp, err := Evaluate(q, nil, Options{Benchmark: "t"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(cmp)
	if strings.Contains(string(b), `"cascade"`) {
		t.Errorf("no cascade, yet encoded: %s", b)
	}
	if cmp.Cascade, err = EvaluateCascade(q, in); err != nil {
		t.Fatal(err)
	}
	b, err = json.Marshal(cmp)
	if err != nil {
		t.Fatal(err)
	}
	var back Comparison
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	r := back.Cascade.Result(NameCascade)
	if r == nil || r.APGR != 1 || !near(float64(r.CostPerQueryAt95), 3.125) || back.Cascade.Hybrid.Results[0].SkipShare != 0.25 || back.Cascade.Latency.Cascade.Mean != 1000 {
		t.Errorf("round trip lost data: %s", b)
	}
	for _, key := range []string{`"cost_per_query_at_95_usd":`, `"cheap_call_share":1`, `"escalation_added_vs_strong_only"`, `"verdict"`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("JSON lacks %s", key)
		}
	}
}
