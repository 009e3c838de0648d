package router

import (
	"context"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter/internal/dataset"
	"github.com/llmrouter/llmrouter/internal/grade"
	"github.com/llmrouter/llmrouter/internal/policy"
	"github.com/llmrouter/llmrouter/internal/trainset/trl"
)

// gsm8kSFT makes SFT rows from the first n recorded GSM8K items, which
// carry both models' real answers.
func gsm8kSFT(t *testing.T, n int) []trl.SFTRow {
	t.Helper()
	items, err := dataset.Recorded()
	if err != nil {
		t.Fatal(err)
	}
	var rows []trl.SFTRow
	for _, it := range items {
		if it.Benchmark != "gsm8k" || len(rows) == n {
			continue
		}
		pol := policy.Standard
		switch {
		case !it.CheapCorrect && it.StrongCorrect:
			pol = policy.Complex
		case !it.CheapCorrect:
			pol = policy.Ambiguous
		}
		rows = append(rows, trl.SFTRow{
			ID: it.ID, Query: it.Prompt, Policy: pol, Cell: grade.Cell(gradeOf(it.CheapCorrect), gradeOf(it.StrongCorrect)),
			CheapAnswer: it.CheapResponse,
		})
	}
	return rows
}

func stageDetail(stages []Stage, name string) string {
	for _, s := range stages {
		if s.Name == name {
			return s.Detail
		}
	}
	return ""
}

func TestTrainFitsCascadeFromCheapAnswers(t *testing.T) {
	cfg := DefaultTrainConfig()
	cfg.SFT = gsm8kSFT(t, 300)
	m, stages, err := Train(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if m.Cascade == nil {
		t.Fatalf("no cascade trained from rows with cheap answers; stage: %q", stageDetail(stages, "cascade"))
	}
	if d := stageDetail(stages, "cascade"); !strings.Contains(d, "300 answers") {
		t.Errorf("cascade stage %q does not count the answers", d)
	}
	dir := t.TempDir()
	if err := Save(dir, m); err != nil {
		t.Fatal(err)
	}
	got, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.Cascade == nil {
		t.Fatal("the cascade did not survive Save and Load")
	}
	for _, r := range cfg.SFT[:10] {
		if a, b := m.Cascade.Score(r.Query, r.CheapAnswer), got.Cascade.Score(r.Query, r.CheapAnswer); a != b {
			t.Fatalf("escalate score %v before save, %v after load", a, b)
		}
	}
	// calibrate rewrites both metadata files.
	if err := got.Cascade.SetThreshold(0.77, 0.1, "test"); err != nil {
		t.Fatal(err)
	}
	if err := SaveMeta(dir, got); err != nil {
		t.Fatal(err)
	}
	again, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if again.Cascade.Threshold() != 0.77 {
		t.Errorf("cascade threshold %v after SaveMeta, want 0.77", again.Cascade.Threshold())
	}
}

func TestTrainSkipsCascadeWithoutAnswers(t *testing.T) {
	cfg := DefaultTrainConfig()
	cfg.SFTPath = fixtureSFT // recorded MMLU: outcomes only
	m, stages, err := Train(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if m.Cascade != nil {
		t.Error("a cascade was trained on rows without cheap answers")
	}
	if d := stageDetail(stages, "cascade"); !strings.Contains(d, "skipped: the training rows carry no cheap-model answer texts") {
		t.Errorf("cascade stage %q does not say why it was skipped", d)
	}

	cfg = DefaultTrainConfig()
	cfg.SFT, cfg.Cascade.Off = gsm8kSFT(t, 100), true
	if m, _, err = Train(context.Background(), cfg); err != nil || m.Cascade != nil {
		t.Errorf("Cascade.Off: cascade %v, err %v; want none", m.Cascade, err)
	}
}
