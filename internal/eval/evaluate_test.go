package eval

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/llmrouter/llmrouter/internal/grade"
)

const (
	C  = grade.Correct
	I  = grade.Incorrect
	NA = grade.NotAttempted
)

func qs(cheap, strong []string, cheapCost, strongCost float64) []Question {
	out := make([]Question, len(cheap))
	for i := range cheap {
		out[i] = Question{ID: string(rune('a' + i)), Cheap: Outcome{Grade: cheap[i], Cost: cheapCost}, Strong: Outcome{Grade: strong[i], Cost: strongCost}}
	}
	return out
}

func TestEvaluateOperatingPoint(t *testing.T) {
	// cheap .25, strong .75; the router sends q0 and q2 (both gains) to strong.
	q := qs([]string{I, C, I, I}, []string{C, C, C, I}, 0.1, 1)
	run := RouterRun{
		Name: "r", Scores: []float64{0.9, 0.7, 0.5, 0.1}, Strong: []bool{true, false, true, false},
		Policies: []string{"Complex_Query", "Standard_Query", "Complex_Query", "Standard_Query"}, Threshold: 0.5,
	}
	cmp, err := Evaluate(q, []RouterRun{run}, Options{Benchmark: "t"})
	if err != nil {
		t.Fatal(err)
	}
	r := cmp.Routers[0]
	checks := []struct {
		what      string
		got, want Float
	}{
		{"accuracy", r.Accuracy, 0.75},
		{"share", r.StrongShare, 0.5},
		{"pgr", r.PGR, 1},
		{"cost", r.Cost, 2.2},
		{"per query", r.CostPerQuery, 0.55},
		{"savings", r.CostSavings, 1 - 2.2/4},
		{"apgr", r.APGR, 0.6},
		{"auc", r.AUC, 0.75},
		{"random acc", r.RandomSameShare.Accuracy, 0.5},
		{"random pgr", r.RandomSameShare.PGR, 0.5},
		{"random cost", r.RandomSameShare.Cost, 2.2},
		{"complex acc", r.Policies["Complex_Query"].Accuracy, 1},
		{"standard acc", r.Policies["Standard_Query"].Accuracy, 0.5},
		{"standard share", r.Policies["Standard_Query"].Share, 0.5},
		{"cheap-only acc", cmp.Baselines[0].Accuracy, 0.25},
		{"cheap-only savings", cmp.Baselines[0].CostSavings, 0.9},
		{"strong-only acc", cmp.Baselines[1].Accuracy, 0.75},
		{"strong-only savings", cmp.Baselines[1].CostSavings, 0},
		{"oracle acc", cmp.Baselines[2].Accuracy, 0.75},
		{"oracle share", cmp.Baselines[2].StrongShare, 0.5},
		// Oracle order: gains q0,q2 first, then the tie q1,q3:
		// acc .25,.5,.75,.75,.75 → mean .6, APGR .7.
		{"oracle apgr", cmp.Baselines[2].APGR, 0.7},
	}
	for _, c := range checks {
		if !near(float64(c.got), float64(c.want)) {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
	if names := r.PolicyNames(); len(names) != 2 || names[0] != "Complex_Query" {
		t.Errorf("PolicyNames = %v", names)
	}
}

func TestEvaluateSimpleQA(t *testing.T) {
	// Routed outcomes C, C, I, NA: is_correct .5, given attempted 2/3,
	// F = 2·.5·(2/3)/(.5+2/3) = 4/7, not attempted .25.
	q := qs([]string{C, NA, I, NA}, []string{C, C, I, NA}, 1, 2)
	run := RouterRun{Name: "r", Scores: []float64{0, 1, 0, 0}, Strong: []bool{false, true, false, false}, Threshold: math.NaN()}
	cmp, err := Evaluate(q, []RouterRun{run}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := cmp.Routers[0]
	for _, c := range []struct {
		what      string
		got, want Float
	}{
		{"is_correct", r.Accuracy, 0.5},
		{"given attempted", r.AccuracyGivenAttempted, 2.0 / 3},
		{"f", r.FScore, 4.0 / 7},
		{"not attempted", r.NotAttemptedShare, 0.25},
		{"incorrect", r.IncorrectShare, 0.25},
		{"cheap-only not attempted", cmp.Baselines[0].NotAttemptedShare, 0.5},
	} {
		if !near(float64(c.got), float64(c.want)) {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
}

// Degenerate inputs give nulls, never panics or invalid JSON.
func TestEvaluateDegenerate(t *testing.T) {
	q := qs([]string{NA, NA}, []string{NA, NA}, 0, 0)
	run := RouterRun{Name: "r", Scores: []float64{0.5, 0.5}, Strong: []bool{false, false}, Threshold: math.NaN()}
	cmp, err := Evaluate(q, []RouterRun{run}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(cmp)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("invalid JSON: %v", err)
	}
	r := cmp.Routers[0]
	for what, v := range map[string]Float{"pgr": r.PGR, "apgr": r.APGR, "auc": r.AUC, "savings": r.CostSavings, "given attempted": r.AccuracyGivenAttempted, "f": r.FScore} {
		if v.Valid() {
			t.Errorf("%s = %v, want undefined", what, v)
		}
	}
	if _, err := Evaluate(nil, nil, Options{}); err == nil {
		t.Error("empty test set accepted")
	}
	bad := RouterRun{Name: "short", Scores: []float64{1}, Strong: []bool{true}}
	if _, err := Evaluate(q, []RouterRun{bad}, Options{}); err == nil {
		t.Error("misaligned router run accepted")
	}
}
