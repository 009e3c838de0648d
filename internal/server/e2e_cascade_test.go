package server

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter/internal/policy"
	"github.com/llmrouter/llmrouter/internal/router"
	"github.com/llmrouter/llmrouter/internal/spend"
	"github.com/llmrouter/llmrouter/internal/upstreamfake"
)

// cascadeSFT writes n seeded GSM8K-style training rows (sft_train.jsonl's
// format) whose cheap answers show what the verifier learns from: right
// answers end in "#### n", wrong ones hedge.
func cascadeSFT(t *testing.T, n int) string {
	t.Helper()
	rng := rand.New(rand.NewPCG(3, 5))
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	for i := range n {
		a, c := rng.IntN(50)+2, rng.IntN(50)+2
		q := fmt.Sprintf("Tom has %d apples and buys %d more. How many apples does he have?", a, c)
		row := struct {
			ID     string `json:"id"`
			Query  string `json:"query"`
			Policy string `json:"policy"`
			Cell   string `json:"cell"`
			Answer string `json:"cheap_answer"`
		}{fmt.Sprint("r", i), q, policy.Standard, "CORRECT/CORRECT", fmt.Sprintf("Tom has %d + %d = %d apples.\n#### %d", a, c, a+c, a+c)}
		if i%3 == 0 {
			row.Policy, row.Cell = policy.Complex, "INCORRECT/CORRECT"
			row.Answer = fmt.Sprintf("I think Tom probably has about %d apples, but I am not sure.", a*c)
		}
		if err := enc.Encode(row); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "sft_train.jsonl")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// trainCascadeRouter trains a small router on cascadeSFT's rows.
func trainCascadeRouter(t *testing.T, withCascade bool) *router.Model {
	t.Helper()
	cfg := router.DefaultTrainConfig()
	cfg.SFTPath = cascadeSFT(t, 90)
	cfg.Cascade.Off = !withCascade
	m, _, err := router.Train(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// cascadeModels trains a small router with a cascade verifier and saves it
// twice: as trained, and with pre-routing on at query score 0 (every
// query skips the cheap call).
func cascadeModels(t *testing.T) (plain, skipAll string) {
	t.Helper()
	m := trainCascadeRouter(t, true)
	if m.Cascade == nil {
		t.Fatal("the training rows carry cheap answers, yet no cascade verifier was trained")
	}
	dir := t.TempDir()
	plain, skipAll = filepath.Join(dir, "plain"), filepath.Join(dir, "skip")
	if err := router.Save(plain, m); err != nil {
		t.Fatal(err)
	}
	if err := m.Cascade.SetSkipThreshold(0, "test"); err != nil {
		t.Fatal(err)
	}
	if err := router.Save(skipAll, m); err != nil {
		t.Fatal(err)
	}
	return plain, skipAll
}

// TestE2ECascade serves a trained router with its verifier through Open
// (SQLite store, budgets, the real upstream clients) in front of the fake
// upstream: flash is the cheap model, mini the strong one. The per-request
// thresholds 1 and 0 force acceptance and escalation.
func TestE2ECascade(t *testing.T) {
	plain, skipAll := cascadeModels(t)
	tests := []struct {
		model, dir, outcome string
		calls               map[string]int
	}{
		{"router-cascade-1", plain, spend.CascadeAccepted, map[string]int{"gemini-2.5-flash": 1}},
		{"router-cascade-0", plain, spend.CascadeEscalated, map[string]int{"gemini-2.5-flash": 1, "gpt-4o-mini": 1}},
		{"router-cascade", skipAll, spend.CascadeSkipped, map[string]int{"gpt-4o-mini": 1}},
	}
	for _, tc := range tests {
		for _, stream := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/stream=%v", tc.outcome, stream), func(t *testing.T) {
				r := startReal(t, fmt.Sprintf("router: {model_path: %s}\nbudgets: {global_usd: 100}\n", tc.dir))
				q := "Tom has 3 apples and buys 4 more. How many apples does he have?"
				text, resp, err := r.chat(tc.model, q, stream)
				if err != nil {
					t.Fatal(err)
				}
				want := map[bool]string{true: "gemini-2.5-flash", false: "gpt-4o-mini"}[tc.outcome == spend.CascadeAccepted]
				if strings.TrimSpace(text) != "Answer from "+want+": "+q {
					t.Errorf("text %q, want %s's answer", text, want)
				}
				h := resp.Header
				if h.Get("X-Router-Cascade") != tc.outcome || h.Get("X-Router-Model") != map[string]string{"gemini-2.5-flash": "flash", "gpt-4o-mini": "mini"}[want] ||
					(h.Get("X-Router-Escalate-Score") == "") != (tc.outcome == spend.CascadeSkipped) {
					t.Errorf("headers %v", h)
				}
				st := fakeStats(t, r.fake)
				if fmt.Sprint(st.ByModel) != fmt.Sprint(tc.calls) {
					t.Errorf("upstream calls %v, want %v", st.ByModel, tc.calls)
				}
				r.ts.Close()
				sum := r.summary()
				wantCost := float64(st.Usage.Total()) * 1000 / 1e6
				if sum.Requests != 1 || sum.Errors != 0 || math.Abs(sum.CostUSD-wantCost) > 1e-9 {
					t.Errorf("recorded %+v, want one request costing every call, $%v", sum, wantCost)
				}
				checkE2ERecords(t, r.db, tc.outcome, len(tc.calls))
			})
		}
	}
}

// checkE2ERecords reads the spend database: one row per call, one request
// id, the outcome on each.
func checkE2ERecords(t *testing.T, path, outcome string, calls int) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT request_id, model, cascade, cascade_step FROM requests ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	ids := map[string]bool{}
	for rows.Next() {
		var id, model, c, step string
		if err := rows.Scan(&id, &model, &c, &step); err != nil {
			t.Fatal(err)
		}
		ids[id] = true
		got = append(got, model+"/"+c+"/"+step)
	}
	want := map[string][]string{
		spend.CascadeAccepted:  {"flash/accepted/cheap"},
		spend.CascadeEscalated: {"flash/escalated/cheap", "mini/escalated/strong"},
		spend.CascadeSkipped:   {"mini/skipped/strong"},
	}[outcome]
	if fmt.Sprint(got) != fmt.Sprint(want) || len(ids) != 1 || len(got) != calls {
		t.Errorf("records %v under %d request ids, want %v under one", got, len(ids), want)
	}
}

// TestE2ECascadeUnavailable: a router model without a verifier answers
// router-cascade with a 400 that says how to get one.
func TestE2ECascadeUnavailable(t *testing.T) {
	m := trainCascadeRouter(t, false)
	dir := filepath.Join(t.TempDir(), "m")
	if err := router.Save(dir, m); err != nil {
		t.Fatal(err)
	}
	r := startReal(t, fmt.Sprintf("router: {model_path: %s}\n", dir), upstreamfake.WithModels("gemini-2.5-flash", "gpt-4o-mini"))
	status, _, body := r.post("/v1/chat/completions", `{"model":"router-cascade","messages":[{"role":"user","content":"hi"}]}`, "Authorization", "Bearer "+gatewayKey)
	if status != 400 || !strings.Contains(body, "no cascade verifier") || !strings.Contains(body, "pipeline --benchmark gsm8k") {
		t.Errorf("status %d: %s", status, body)
	}
	if _, _, models := r.get("/v1/models", "Authorization", "Bearer "+gatewayKey); strings.Contains(models, "router-cascade") {
		t.Errorf("/v1/models lists router-cascade without a verifier: %s", models)
	}
}
