package main

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter/internal/cascade"
	"github.com/llmrouter/llmrouter/internal/router"
)

// TestCalibrateCascadeShare sets the cascade threshold from the stored
// quantiles, then both thresholds from a file, and checks what is saved,
// what reloads and what route then applies.
func TestCalibrateCascadeShare(t *testing.T) {
	fix := cascadeFixtureModel(t)
	dir := copyModelDir(t, fix.model)
	before, files := mustLoadRouter(t, dir), modelFiles(t, dir)

	code, out, errOut := runRouterCmd(t, nil, "calibrate", "--model-path", dir, "--cascade-share", "0.3")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	want := router.ThresholdForShare(before.Cascade.Meta.ScoreQuantiles, 0.3)
	wantOut := fmt.Sprintf("cascade threshold %.6f escalates 30.0%% of the training answers (out-of-fold scores) to the strong model (saved in %s)\n", want, dir)
	if out != wantOut {
		t.Errorf("output\n%q, want\n%q", out, wantOut)
	}
	after := mustLoadRouter(t, dir)
	if got := after.Cascade.Threshold(); got != want || got == before.Cascade.Threshold() || after.Cascade.Meta.ThresholdShare != 0.3 ||
		!strings.HasPrefix(after.Cascade.Meta.ThresholdSource, "calibrate: ") {
		t.Errorf("cascade threshold %v share %v source %q (was %v); want %v", got, after.Cascade.Meta.ThresholdShare,
			after.Cascade.Meta.ThresholdSource, before.Cascade.Threshold(), want)
	}
	changed := modelFiles(t, dir)
	for name := range files {
		if (files[name] != changed[name]) != (name == cascade.MetaFile) {
			t.Errorf("%s changed: %v (only %s should)", name, files[name] != changed[name], cascade.MetaFile)
		}
	}
	if again := mustLoadRouter(t, dir); !reflect.DeepEqual(again.Cascade.Meta, after.Cascade.Meta) || !reflect.DeepEqual(again.Meta, before.Meta) {
		t.Error("reloading gives other metadata")
	}
	code, out, _ = runRouterCmd(t, nil, "route", "--model-path", dir, "--query", "q", "--cheap-answer", "a", "--json")
	if r := decodeRouteLines(t, out); code != 0 || *r[0].CascadeThreshold != want {
		t.Errorf("route does not apply the calibrated threshold: %s", out)
	}

	code, out, errOut = runRouterCmd(t, nil, "calibrate", "--model-path", dir, "--cascade-share", "0.5", "--strong-share", "0.2", "--queries", fix.sft)
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if code != 0 || len(lines) != 2 || !strings.Contains(lines[0], "sends 20.0% of") || !strings.Contains(lines[1], "escalates 50.0% of") {
		t.Fatalf("exit %d: %s%s", code, out, errOut)
	}
	final := mustLoadRouter(t, dir)
	if final.Meta.ThresholdStrongShare != 0.2 || final.Cascade.Meta.ThresholdShare != 0.5 {
		t.Errorf("shares %v, %v; want 0.2, 0.5", final.Meta.ThresholdStrongShare, final.Cascade.Meta.ThresholdShare)
	}
	inputs, err := readRouteInputs(fix.sft)
	if err != nil {
		t.Fatal(err)
	}
	escalated := 0
	for _, in := range inputs {
		if final.Cascade.Escalate(final.Cascade.Score(in.Query, in.CheapAnswer)) {
			escalated++
		}
	}
	if share := float64(escalated) / float64(len(inputs)); share < 0.49 || share > 0.51 {
		t.Errorf("the calibrated threshold escalates %.3f of the file's answers, want 0.5", share)
	}
}

func TestCalibrateCascadeErrors(t *testing.T) {
	plain := trainSmallModel(t)
	casc := copyModelDir(t, cascadeFixtureModel(t).model)
	dir := t.TempDir()
	unanswered := writeRouteJSONL(t, "mixed.jsonl", jsonRow{"query": "a", "cheap_answer": "1"}, jsonRow{"query": "b"})
	text := filepath.Join(dir, "queries.txt")
	if err := os.WriteFile(text, []byte("a\nb\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		args  []string
		code  int
		wants []string
	}{
		{"no verifier", []string{"--model-path", plain, "--cascade-share", "0.3"}, 1, []string{"--cascade-share: model", "has no cascade verifier"}},
		{"share range", []string{"--model-path", casc, "--cascade-share", "1.5"}, 2, []string{"--cascade-share 1.5 outside [0, 1]"}},
		{"share NaN", []string{"--model-path", casc, "--cascade-share", "NaN"}, 2, []string{"--cascade-share NaN outside [0, 1]"}},
		{"line without answer", []string{"--model-path", casc, "--cascade-share", "0.3", "--strong-share", "0.3", "--queries", unanswered}, 1,
			[]string{unanswered + ":2: no cheap_answer"}},
		{"plain-text queries", []string{"--model-path", casc, "--cascade-share", "0.3", "--queries", text}, 1, []string{text + ": no cheap_answer"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			model := tc.args[1]
			before := modelFiles(t, model)
			code, out, errOut := runRouterCmd(t, nil, append([]string{"calibrate"}, tc.args...)...)
			if code != tc.code || out != "" {
				t.Fatalf("exit %d (want %d), stdout %q, stderr %q", code, tc.code, out, errOut)
			}
			for _, w := range tc.wants {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr %q lacks %q", errOut, w)
				}
			}
			if !reflect.DeepEqual(modelFiles(t, model), before) {
				t.Error("a failed calibrate changed the model")
			}
		})
	}
}

// TestCalibrateCascadeSkipShare turns pre-routing on at a query-score
// quantile, checks that route --end-to-end --cascade would now skip the top
// queries' cheap call, and turns it off again.
func TestCalibrateCascadeSkipShare(t *testing.T) {
	fix := cascadeFixtureModel(t)
	dir := copyModelDir(t, fix.model)
	before := mustLoadRouter(t, dir)
	code, out, errOut := runRouterCmd(t, nil, "calibrate", "--model-path", dir, "--cascade-skip-share", "0.1")
	if code != 0 || !strings.Contains(out, "straight to the strong model") {
		t.Fatalf("exit %d: %s%s", code, out, errOut)
	}
	after := mustLoadRouter(t, dir)
	got, ok := after.Cascade.SkipThreshold()
	if want := router.ThresholdForShare(before.Meta.ScoreQuantiles, 0.1); !ok || got != want {
		t.Errorf("skip threshold %v, %v; want %v", got, ok, want)
	}
	if after.Meta.Threshold != before.Meta.Threshold || after.Cascade.Threshold() != before.Cascade.Threshold() {
		t.Error("--cascade-skip-share alone changed another threshold")
	}
	if code, _, errOut = runRouterCmd(t, nil, "calibrate", "--model-path", dir, "--cascade-skip-share", "0"); code != 0 {
		t.Fatalf("turning pre-routing off: exit %d: %s", code, errOut)
	}
	if _, ok := mustLoadRouter(t, dir).Cascade.SkipThreshold(); ok {
		t.Error("--cascade-skip-share 0 left pre-routing on")
	}
	plain := trainSmallModel(t)
	if code, _, errOut = runRouterCmd(t, nil, "calibrate", "--model-path", plain, "--cascade-skip-share", "0.1"); code == 0 ||
		!strings.Contains(errOut, "--cascade-skip-share: model") || !strings.Contains(errOut, "has no cascade verifier") {
		t.Errorf("a model without a cascade: exit %d: %s", code, errOut)
	}
	if code, _, errOut = runRouterCmd(t, nil, "calibrate", "--model-path", dir, "--cascade-skip-share", "1.5"); code == 0 || !strings.Contains(errOut, "outside [0, 1]") {
		t.Errorf("share 1.5: exit %d: %s", code, errOut)
	}
}
