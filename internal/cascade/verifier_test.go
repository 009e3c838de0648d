package cascade

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter/internal/quality"
)

func trainSynthetic(t *testing.T, n int) *Verifier {
	t.Helper()
	v, err := Train(context.Background(), syntheticExamples(n), TrainConfig{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestTrainSeparatesFaultyAnswers(t *testing.T) {
	v := trainSynthetic(t, 300)
	mt := v.Meta.Metrics
	if a := mt.CVAPGR[mt.Chosen]; !(a > 0.85) {
		t.Errorf("cross-validated APGR %v of %s, want > 0.85 on rows whose faults are visible", a, mt.Chosen)
	}
	fresh := syntheticExamples(500)[300:]
	scores := make([]float64, len(fresh))
	cheap, strong := correctness(fresh)
	for i, e := range fresh {
		scores[i] = v.Score(e.Query, e.Answer)
		if scores[i] < 0 || scores[i] > 1 {
			t.Fatalf("score %v outside [0, 1]", scores[i])
		}
	}
	if a, _ := quality.APGR(scores, cheap, strong); !(a > 0.85) {
		t.Errorf("APGR on unseen rows %v, want > 0.85", a)
	}
	if !(v.Meta.Threshold > 0 && v.Meta.Threshold < 1) || !(v.Meta.ThresholdShare > 0) {
		t.Errorf("default threshold %v at share %v", v.Meta.Threshold, v.Meta.ThresholdShare)
	}
	if len(v.Meta.ScoreQuantiles) != 101 {
		t.Errorf("%d score quantiles, want 101", len(v.Meta.ScoreQuantiles))
	}
}

func TestTrainDeterministic(t *testing.T) {
	dirA, dirB := t.TempDir(), t.TempDir()
	for _, d := range []string{dirA, dirB} {
		if err := Save(d, trainSynthetic(t, 120)); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{MetaFile, WeightsFile} {
		a, _ := os.ReadFile(filepath.Join(dirA, name))
		b, _ := os.ReadFile(filepath.Join(dirB, name))
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between two trainings with the same seed", name)
		}
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	for _, h := range []Hyper{Candidates[0].Hyper, Candidates[2].Hyper} {
		ex := syntheticExamples(120)
		v, err := fit(context.Background(), ex, h, 1)
		if err != nil {
			t.Fatal(err)
		}
		if err := v.SetThreshold(0.4, 0.3, "test"); err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if err := Save(dir, v); err != nil {
			t.Fatal(err)
		}
		got, err := Load(dir)
		if err != nil {
			t.Fatalf("ngrams=%v: %v", h.NGrams, err)
		}
		for _, e := range ex[:20] {
			if a, b := v.Score(e.Query, e.Answer), got.Score(e.Query, e.Answer); a != b {
				t.Fatalf("ngrams=%v: score %v before save, %v after load", h.NGrams, a, b)
			}
		}
		if got.Threshold() != 0.4 {
			t.Errorf("threshold %v after load, want 0.4", got.Threshold())
		}
	}
}

func TestLoadWithoutCascade(t *testing.T) {
	v, err := Load(t.TempDir())
	if v != nil || err != nil {
		t.Errorf("Load of a directory without %s = %v, %v; want nil, nil", MetaFile, v, err)
	}
}

func TestLoadRejectsDamage(t *testing.T) {
	tests := []struct {
		name    string
		damage  func(dir string)
		wantErr string
	}{
		{"flipped weight byte", func(dir string) { flipByte(t, filepath.Join(dir, WeightsFile), 20) }, "sha256 mismatch"},
		{"truncated weights", func(dir string) { truncate(t, filepath.Join(dir, WeightsFile), 10) }, "truncated or replaced"},
		{"future format", func(dir string) { editMeta(t, dir, `"format_version": 1`, `"format_version": 9`) }, "format version 9"},
		{"unknown field", func(dir string) { editMeta(t, dir, `"label"`, `"surprise": 1, "label"`) }, "unknown field"},
		{"threshold out of range", func(dir string) { editMeta(t, dir, `"threshold": 0.`, `"threshold": 7.`) }, "outside [0, 1]"},
		{"missing weights", func(dir string) { os.Remove(filepath.Join(dir, WeightsFile)) }, "cascade.bin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := Save(dir, trainSynthetic(t, 80)); err != nil {
				t.Fatal(err)
			}
			tt.damage(dir)
			_, err := Load(dir)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Load after %s: %v, want an error containing %q", tt.name, err, tt.wantErr)
			}
		})
	}
}

func flipByte(t *testing.T, path string, at int) {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[at] ^= 0xff
	os.WriteFile(path, b, 0o644)
}

func truncate(t *testing.T, path string, n int) {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, b[:len(b)-n], 0o644)
}

func editMeta(t *testing.T, dir, old, new string) {
	path := filepath.Join(dir, MetaFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("%s has no %q", MetaFile, old)
	}
	os.WriteFile(path, bytes.Replace(b, []byte(old), []byte(new), 1), 0o644)
}

func TestTrainRefusesUnusableRows(t *testing.T) {
	allRight := syntheticExamples(100)
	for i := range allRight {
		allRight[i].CheapCorrect = true
	}
	tests := []struct {
		name string
		ex   []Example
		want string
	}{
		{"no answers", nil, ErrNoAnswers.Error()},
		{"too few", syntheticExamples(10), "need at least"},
		{"nothing to learn", allRight, "right on all 100 rows"},
	}
	for _, tt := range tests {
		_, err := Train(context.Background(), tt.ex, TrainConfig{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error containing %q", tt.name, err, tt.want)
		}
	}
	if _, err := Train(context.Background(), nil, TrainConfig{}); !errors.Is(err, ErrNoAnswers) {
		t.Errorf("no rows: %v, want ErrNoAnswers", err)
	}
}

func TestSetThresholds(t *testing.T) {
	v := trainSynthetic(t, 80)
	if err := v.SetThreshold(1.5, 0.1, "x"); err == nil {
		t.Error("threshold 1.5 accepted")
	}
	if _, ok := v.SkipThreshold(); ok {
		t.Error("a freshly trained verifier skips the cheap call")
	}
	if err := v.SetSkipThreshold(0.8, "test"); err != nil {
		t.Fatal(err)
	}
	if s, ok := v.SkipThreshold(); !ok || s != 0.8 {
		t.Errorf("skip threshold %v, %v; want 0.8, true", s, ok)
	}
	if !v.Escalate(v.Threshold()) || v.Escalate(v.Threshold()-1e-9) {
		t.Error("Escalate is not score >= threshold")
	}
}

func TestThresholdForShare(t *testing.T) {
	sorted := []float64{0.1, 0.2, 0.6, 0.9, 0.95}
	if got := ThresholdForShare(sorted, 0); got != 1 {
		t.Errorf("share 0: threshold %v, want 1 (above every score)", got)
	}
	// Share 0.5 of five answers: the median, which escalates 0.6 and up.
	if got := ThresholdForShare(sorted, 0.5); got != 0.6 {
		t.Errorf("share 0.5: threshold %v, want 0.6", got)
	}
	if got := ThresholdForShare(sorted, 1); got != 0.1 {
		t.Errorf("share 1: threshold %v, want the lowest score", got)
	}
}
