package router

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/llmrouter/llmrouter/internal/catalog"
	"github.com/llmrouter/llmrouter/internal/grade"
	"github.com/llmrouter/llmrouter/internal/trainset/trl"
)

// multiRows is a small world of three models: "calc" is right on sums,
// "hist" on dates, "big" (dear) on both but wrong on a tenth; the queries
// name their topic in their words.
func multiRows(n int, seed uint64) []trl.OutcomeRow {
	rng := rand.New(rand.NewPCG(seed, 1))
	rows := make([]trl.OutcomeRow, n)
	for i := range rows {
		topic := []string{"sum", "date"}[i%2]
		q := fmt.Sprintf("Compute the sum of %d and %d please.", rng.IntN(500), rng.IntN(500))
		if topic == "date" {
			q = fmt.Sprintf("In which year was treaty number %d of the old kingdom signed?", rng.IntN(5000))
		}
		g := func(right bool) string {
			if right {
				return grade.Correct
			}
			return grade.Incorrect
		}
		res := []trl.ModelOutcome{
			{Model: "calc", Grade: g(topic == "sum"), InputTokens: 20, OutputTokens: 10, CostUSD: 20e-6},
			{Model: "hist", Grade: g(topic == "date"), InputTokens: 20, OutputTokens: 10, CostUSD: 30e-6},
			{Model: "big", Grade: g(rng.IntN(10) > 0), InputTokens: 20, OutputTokens: 100, CostUSD: 1000e-6},
		}
		rows[i] = trl.OutcomeRow{ID: fmt.Sprintf("r%d", i), Query: q, Topic: topic, Results: res}
	}
	return rows
}

func trainMultiModel(t testing.TB, rows []trl.OutcomeRow) *Model {
	t.Helper()
	cfg := DefaultTrainConfig()
	cfg.Kind, cfg.Outcomes = KindMulti, rows
	cfg.Features.HashBits = 14
	cfg.Prices = map[string]catalog.Price{"big": {Input: 5, Output: 9}}
	m, _, err := Train(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMultiRoutesEachTopicToItsModel(t *testing.T) {
	m := trainMultiModel(t, multiRows(400, 1))
	mm := m.Meta.Multi
	if got := m.Candidates(); len(got) != 3 || got[2] != "big" {
		t.Fatalf("candidates = %v", got)
	}
	if c := mm.Candidates[2]; c.PriceInput != 5 || math.Abs(c.CostUSD-(5*20+9*100)/1e6) > 1e-12 {
		t.Errorf("big's expected cost %+v: want the catalogue price at the mean tokens", c)
	}
	if c := mm.Candidates[0]; c.CostUSD != 20e-6 || c.PriceInput != 0 {
		t.Errorf("calc's expected cost %+v: want the rows' mean cost without a price", c)
	}
	if mm.CostScale != mm.Candidates[2].CostUSD || m.Meta.CheapModel != "calc" || m.Meta.StrongModel != "big" {
		t.Errorf("scale %v, pair %s/%s", mm.CostScale, m.Meta.CheapModel, m.Meta.StrongModel)
	}
	tests := []struct{ query, want string }{
		{"Compute the sum of 3 and 4 please.", "calc"},
		{"In which year was treaty number 7 of the old kingdom signed?", "hist"},
	}
	for _, tc := range tests {
		d, err := m.Route(context.Background(), tc.query)
		if err != nil {
			t.Fatal(err)
		}
		if d.Model != tc.want || len(d.Candidates) != 3 {
			t.Errorf("%q → %s (%+v), want %s", tc.query, d.Model, d.Candidates, tc.want)
		}
		if want, _ := m.Drift(tc.query); !d.HasDrift || d.Drift != want {
			t.Errorf("%q drift %v/%v, want %v/true as Drift measures it", tc.query, d.Drift, d.HasDrift, want)
		}
		// At t = 0 cost is ignored; the best predicted model wins.
		if got, _, _ := m.ChooseAt(d, 0, nil); got != tc.want {
			t.Errorf("%q at t=0 → %s", tc.query, got)
		}
		// At t = 1 only cost counts.
		if got, cheapest, _ := m.ChooseAt(d, 1, nil); got != "calc" || !cheapest {
			t.Errorf("%q at t=1 → %s", tc.query, got)
		}
		// Without the specialist, the big model.
		if got, _, _ := m.ChooseAt(d, 0.2, []bool{tc.want != "calc", tc.want != "hist", true}); got != "big" {
			t.Errorf("%q without %s → %s, want big", tc.query, tc.want, got)
		}
	}
	if len(mm.Curve) != curveSteps+1 || mm.BestSingle != "big" || mm.Target == "" || mm.LambdaPerUSD <= 0 {
		t.Errorf("curve %d points, best %s, target %q, λ %v", len(mm.Curve), mm.BestSingle, mm.Target, mm.LambdaPerUSD)
	}
}

func TestMultiSaveLoadDeterministic(t *testing.T) {
	rows := multiRows(200, 2)
	a, b := trainMultiModel(t, rows), trainMultiModel(t, rows)
	dirA, dirB := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	for dir, m := range map[string]*Model{dirA: a, dirB: b} {
		if err := Save(dir, m); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{MetaFile, WeightsFile} {
		x, _ := os.ReadFile(filepath.Join(dirA, f))
		y, _ := os.ReadFile(filepath.Join(dirB, f))
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between two runs with the same seed", f)
		}
	}
	back, err := Load(dirA)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows[:20] {
		want, got := a.Estimates(r.Query), back.Estimates(r.Query)
		for k := range want {
			if want[k] != got[k] {
				t.Fatalf("loaded model estimates %v, trained %v", got, want)
			}
		}
		if a.Predict(r.Query) != back.Predict(r.Query) {
			t.Fatalf("loaded model predicts differently")
		}
	}
}

func TestEscalationScoreMeansLeavingTheCheapest(t *testing.T) {
	est := []Estimate{{"c", 0.5, 1}, {"m", 0.7, 2}, {"s", 0.9, 10}}
	score := EscalationScore(est, 10, nil)
	for _, tt := range []float64{0, 0.1, score - 1e-9, score + 1e-9, 0.9, 1} {
		k := Choose(est, tt, 10, nil)
		if left := k != 0; left != (score > tt) {
			t.Errorf("t=%v: chose %s, score %v", tt, est[k].Model, score)
		}
	}
	if got := EscalationScore([]Estimate{{"c", 0.9, 1}, {"s", 0.5, 10}}, 10, nil); got != 0 {
		t.Errorf("no better model: score %v, want 0", got)
	}
	if got := EscalationScore([]Estimate{{"c", 0.5, 1}, {"s", 0.9, 1}}, 10, nil); got != 1 {
		t.Errorf("better at the same cost: score %v, want 1", got)
	}
}

func TestMultiTrainErrors(t *testing.T) {
	good := multiRows(4, 3)
	tests := []struct {
		name string
		mod  func([]trl.OutcomeRow)
		want string
	}{
		{"one model", func(r []trl.OutcomeRow) { r[0].Results = r[0].Results[:1] }, "row 1 lists 1 models"},
		{"missing model", func(r []trl.OutcomeRow) { r[2].Results = r[2].Results[:2] }, "row 3: 2 results, want one per model (3)"},
		{"unknown model", func(r []trl.OutcomeRow) { r[1].Results[0].Model = "x" }, `row 2: model "x" is not among`},
		{"bad grade", func(r []trl.OutcomeRow) { r[1].Results[1].Grade = "MAYBE" }, `row 2: model hist: unknown grade "MAYBE"`},
		{"duplicate id", func(r []trl.OutcomeRow) { r[3].ID = r[0].ID }, `row 4: duplicate id "r0"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows := multiRows(4, 3)
			for i := range rows {
				rows[i].Results = append([]trl.ModelOutcome(nil), good[i].Results...)
			}
			tc.mod(rows)
			cfg := DefaultTrainConfig()
			cfg.Kind, cfg.Outcomes = KindMulti, rows
			_, _, err := Train(context.Background(), cfg)
			if err == nil || !bytes.Contains([]byte(err.Error()), []byte(tc.want)) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestCascadeStartAndNext(t *testing.T) {
	est := []Estimate{{"a", 0.6, 1}, {"b", 0.2, 2}, {"c", 0.9, 10}}
	tests := []struct {
		name string
		got  int
		want int
	}{
		// a is plausible and cheapest, though at t=0 the router picks c.
		{"start at the cheapest plausible", CascadeStart(est, 0, 10, nil), 0},
		{"start at the router's choice when cheaper", CascadeStart([]Estimate{{"a", 0.3, 1}, {"c", 0.9, 10}}, 0.9, 10, nil), 0},
		{"start at the router's choice when none is plausible", CascadeStart([]Estimate{{"a", 0.1, 1}, {"c", 0.4, 10}}, 0.1, 10, nil), 1},
		{"a confident answer is kept", CascadeNext(est, 0, 0.95, 0.1, 10, nil, nil), -1},
		{"a doubtful answer goes up to c", CascadeNext(est, 0, 0.1, 0.1, 10, nil, nil), 2},
		{"not to b, no better than the answer", CascadeNext(est, 0, 0.3, 0.1, 10, []bool{true, false, true}, nil), -1},
		{"at t=1 never up", CascadeNext(est, 0, 0, 1, 10, nil, nil), -1},
		{"never down the cost order", CascadeNext(est, 2, 0, 0, 10, nil, nil), -1},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, tc.got, tc.want)
		}
	}
	if p := Posterior(0.8, 0.3, 0.3); math.Abs(p-0.8) > 1e-9 {
		t.Errorf("a verifier at its base rate moved the prior: %v", p)
	}
	if p := Posterior(0.8, 0.95, 0.3); p > 0.3 {
		t.Errorf("a confident escalate score left P(correct) at %v", p)
	}
}
