package server

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter/internal/catalog"
	"github.com/llmrouter/llmrouter/internal/grade"
	"github.com/llmrouter/llmrouter/internal/provider"
	"github.com/llmrouter/llmrouter/internal/router"
	"github.com/llmrouter/llmrouter/internal/trainset/trl"
)

const (
	sumQuery  = "Compute the sum of 3 and 4 please."
	dateQuery = "In which year was treaty number 7 of the old kingdom signed?"
)

// multiRouter trains an N-model router over baseYAML's models: "cheap" is
// right on sums, "backup" on dates, "strong" on nine questions in ten.
func multiRouter(t *testing.T) *router.Model {
	t.Helper()
	rng := rand.New(rand.NewPCG(5, 5))
	g := func(ok bool) string {
		if ok {
			return grade.Correct
		}
		return grade.Incorrect
	}
	var rows []trl.OutcomeRow
	for i := range 300 {
		sum := i%2 == 0
		q := fmt.Sprintf("Compute the sum of %d and %d please.", rng.IntN(500), rng.IntN(500))
		if !sum {
			q = fmt.Sprintf("In which year was treaty number %d of the old kingdom signed?", rng.IntN(5000))
		}
		rows = append(rows, trl.OutcomeRow{ID: fmt.Sprint(i), Query: q, Topic: fmt.Sprint(sum), Results: []trl.ModelOutcome{
			{Model: "cheap", Grade: g(sum), InputTokens: 20, OutputTokens: 10},
			{Model: "backup", Grade: g(!sum), InputTokens: 20, OutputTokens: 10},
			{Model: "strong", Grade: g(rng.IntN(10) > 0), InputTokens: 20, OutputTokens: 50},
		}})
	}
	cfg := router.DefaultTrainConfig()
	cfg.Kind, cfg.Outcomes = router.KindMulti, rows
	cfg.Features.HashBits = 14
	cfg.Prices = map[string]catalog.Price{"cheap": {Input: 1, Output: 2}, "backup": {Input: 1, Output: 3}, "strong": {Input: 10, Output: 20}}
	m, _, err := router.Train(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	// The trained threshold suits the training rows; the test wants the
	// specialists chosen, which any t short of 1 does here.
	if err := m.SetLambda(0.3, "test", "test"); err != nil {
		t.Fatal(err)
	}
	return m
}

func multiGW(t *testing.T, m *router.Model, routerYAML string) *gw {
	t.Helper()
	return startGW(t, baseYAML+"router:\n  model_path: trained-in-test\n"+routerYAML, withRouter(m), func(d *Deps) {
		d.Upstreams.(*mapUpstreams).ps = map[string]provider.Provider{
			"cheap": answering("cheap", 5, 5), "strong": answering("strong", 5, 5), "backup": answering("backup", 5, 5),
		}
	})
}

func TestGatewayNModelRouter(t *testing.T) {
	m := multiRouter(t)
	all, noBackup := multiGW(t, m, ""), multiGW(t, m, "  candidates: [cheap, strong]\n")
	tests := []struct {
		name        string
		g           *gw
		model, text string
		want, rule  string
	}{
		{"sums to the sum model", all, "router", sumQuery, "cheap", "learned"},
		{"dates to the date model", all, "router", dateQuery, "backup", "learned"},
		{"without it, to the strong model", noBackup, "router", dateQuery, "strong", "learned"},
		{"router-1 weighs cost alone", all, "router-1", dateQuery, "cheap", "learned"},
		{"router-0 weighs quality alone", all, "router-0", dateQuery, "backup", "learned"},
		{"keyword override first", all, "router", "Write python code: " + sumQuery, "strong", "keyword"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := fmt.Sprintf(`{"model":%q,"messages":[{"role":"user","content":%q}]}`, tc.model, tc.text)
			code, h, resp := tc.g.post("/v1/chat/completions", body)
			if code != 200 {
				t.Fatalf("status %d: %s", code, resp)
			}
			if h.Get("X-Router-Model") != tc.want || h.Get("X-Router-Rule") != tc.rule {
				t.Fatalf("model %s by %s (%s), want %s by %s", h.Get("X-Router-Model"), h.Get("X-Router-Rule"), h.Get("X-Router-Reason"), tc.want, tc.rule)
			}
			if tc.rule == "learned" && !strings.HasPrefix(h.Get("X-Router-Reason"), "learned: "+tc.want+", P(correct)") {
				t.Errorf("reason %q", h.Get("X-Router-Reason"))
			}
		})
	}
	_, _, metrics := all.get("/metrics")
	if !strings.Contains(metrics, `llmrouter_router_decisions_total{model="backup",policy="Complex_Query",rule="learned"}`) ||
		!strings.Contains(metrics, `llmrouter_cost_usd_total{model="backup"}`) {
		t.Errorf("/metrics lacks the per-model decision or cost series")
	}
}

func TestNModelCandidatesConfig(t *testing.T) {
	m := multiRouter(t)
	tests := []struct {
		name, yaml string
		r          router.Router
		want       string
	}{
		{"unknown model", "router:\n  model_path: x\n  candidates: [cheap, nope]\n", m, `router.candidates[1]: unknown model "nope"`},
		{"twice", "router:\n  model_path: x\n  candidates: [cheap, cheap]\n", m, `router.candidates[1]: "cheap" is listed twice`},
		{"no router", "router:\n  candidates: [cheap, strong]\n", nil, "router.candidates: needs router.model_path"},
		{"two-model router", "router:\n  model_path: x\n  candidates: [cheap, strong]\n", &fakeRouter{}, "chooses between two models by policy"},
		{"not trained on", "models:\n  extra: {provider: gemini, price: {input: 1, output: 1}}\nrouter:\n  model_path: x\n  candidates: [cheap, extra]\n", m, `was not trained on "extra"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			yaml := baseYAML + tc.yaml
			if strings.HasPrefix(tc.yaml, "models:") {
				yaml = strings.Replace(baseYAML, "models:\n", "models:\n  extra: {provider: gemini, price: {input: 1, output: 1}}\n", 1) + tc.yaml[strings.Index(tc.yaml, "router:"):]
			}
			cfg, err := ParseConfig([]byte(yaml), "test.yaml")
			if err == nil {
				cat, _ := cfg.Catalogue()
				_, err = New(cfg, Deps{Upstreams: &mapUpstreams{cat: cat}, Router: tc.r})
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
