package server

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter/internal/provider"
	"github.com/llmrouter/llmrouter/internal/router"
)

// driftRouter trains a small classifier on the router package's MMLU
// fixture rows, so that its drift is the real measure.
func driftRouter(t *testing.T) *router.Model {
	t.Helper()
	cfg := router.DefaultTrainConfig()
	cfg.SFTPath = filepath.Join("..", "router", "testdata", "sft_small.jsonl")
	cfg.DPOPath = filepath.Join("..", "router", "testdata", "dpo_small.jsonl")
	cfg.Features.HashBits = 11
	cfg.Hyper.SFTEpochs, cfg.Hyper.DPOEpochs = 1, 0
	m, _, err := router.Train(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Routed requests log their drift and feed llmrouter_router_drift; the
// out-of-distribution one lands above 0.5.
func TestGatewayDrift(t *testing.T) {
	m := driftRouter(t)
	g := startGW(t, baseYAML+"router:\n  model_path: trained-in-test\n", withRouter(m), func(d *Deps) {
		d.Upstreams.(*mapUpstreams).ps = map[string]provider.Provider{"cheap": answering("cheap", 5, 5), "strong": answering("strong", 5, 5)}
	})
	queries := []string{
		"Which of the following is a prime number?\nA. 4\nB. 6\nC. 7\nD. 9\nAnswer:",
		"hi, how are you?",
	}
	want := map[string]float64{}
	for _, q := range queries {
		d, ok := m.Drift(q)
		if !ok {
			t.Fatal("trained classifier reports no drift")
		}
		want[q] = d
		body := fmt.Sprintf(`{"model":"router","messages":[{"role":"user","content":%s}]}`, driftJSON(t, q))
		if code, _, resp := g.post("/v1/chat/completions", body); code != 200 {
			t.Fatalf("status %d: %s", code, resp)
		}
	}
	if d0, d1 := want[queries[0]], want[queries[1]]; router.OutOfDistribution(d0) || !router.OutOfDistribution(d1) {
		t.Fatalf("drift %.3f (MMLU-shaped) and %.3f (chit-chat): want below and at or above %v", d0, d1, router.DriftThreshold)
	}
	g.waitRecords(2)
	g.waitLogged(`"msg":"chat completion"`, 2)
	logged := 0
	for _, line := range strings.Split(g.logs.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil || rec["request_id"] == nil || rec["policy"] == nil {
			continue
		}
		d, ok := rec["drift"].(float64)
		if !ok {
			t.Errorf("routed request log line has no drift: %s", line)
			continue
		}
		if !driftClose(d, want[queries[0]]) && !driftClose(d, want[queries[1]]) {
			t.Errorf("logged drift %v, want one of %v", d, want)
		}
		logged++
	}
	if logged != 2 {
		t.Errorf("%d request log lines with drift, want 2:\n%s", logged, g.logs.String())
	}
	_, _, metrics := g.get("/metrics")
	for _, s := range []string{
		`llmrouter_router_drift_bucket{le="0.1"}`,
		`llmrouter_router_drift_bucket{le="0.5"} 1`,
		`llmrouter_router_drift_bucket{le="1"} 2`,
		`llmrouter_router_drift_count 2`,
	} {
		if !strings.Contains(metrics, s) {
			t.Errorf("/metrics lacks %q", s)
		}
	}
}

// A request not routed by a model (a named model) logs no drift and
// observes nothing.
func TestGatewayNoDriftUnrouted(t *testing.T) {
	g := startGW(t, baseYAML, func(d *Deps) {
		d.Upstreams.(*mapUpstreams).ps = map[string]provider.Provider{"cheap": answering("cheap", 5, 5)}
	})
	if code, _, resp := g.post("/v1/chat/completions", `{"model":"cheap","messages":[{"role":"user","content":"hi"}]}`); code != 200 {
		t.Fatalf("status %d: %s", code, resp)
	}
	g.waitRecords(1)
	if strings.Contains(g.logs.String(), `"drift"`) {
		t.Errorf("unrouted request logged a drift:\n%s", g.logs.String())
	}
	if _, _, metrics := g.get("/metrics"); !strings.Contains(metrics, "llmrouter_router_drift_count 0") {
		t.Error("/metrics lacks the empty llmrouter_router_drift histogram")
	}
}

func driftJSON(t *testing.T, s string) string {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func driftClose(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
