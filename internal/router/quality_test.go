package router

import (
	"context"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter/internal/quality"
)

// Quality on the recorded MMLU benchmark (Mixtral vs GPT-4) trains on the
// full train split, too slow for every run of the suite, so it is opt-in:
//
//	LLMROUTER_QUALITY=1 go test -run 'OnMMLU' -v ./internal/router/
//
// asserts the quality floor and prints the table, and
//
//	go test -run '^$' -bench Quality -benchtime 1x ./internal/router/
//
// reports the figures as benchmark metrics. The test split is only ever
// scored, never used to choose anything.

type qualityRow struct {
	name          string
	apgr, share95 float64
}

func scoreTest(tb testing.TB, m *Model, kind string, d *recordedSplit) qualityRow {
	s, err := scorer(kind)
	if err != nil {
		tb.Fatal(err)
	}
	scores := make([]float64, len(d.test))
	for i, r := range d.test {
		p := m.Predict(r.Prompt)
		scores[i] = s(&p)
	}
	a, err := quality.APGR(scores, d.cheap, d.strong)
	if err != nil {
		tb.Fatal(err)
	}
	sh, err := quality.StrongShareAt(scores, d.cheap, d.strong, 0.95)
	if err != nil {
		tb.Fatal(err)
	}
	return qualityRow{name: kind, apgr: a, share95: sh}
}

// subjectPrior is the reference router that knows only each question's
// subject and that subject's training-split gain rate.
func subjectPrior(d *recordedSplit) qualityRow {
	gain, n := map[string]float64{}, map[string]float64{}
	for _, r := range d.sft {
		c, s := cellCorrect(mustCell(r.Cell))
		gain[r.Topic] += s - c
		n[r.Topic]++
	}
	scores := make([]float64, len(d.test))
	for i, r := range d.test {
		scores[i] = gain[r.Subject] / n[r.Subject]
	}
	a, _ := quality.APGR(scores, d.cheap, d.strong)
	sh, _ := quality.StrongShareAt(scores, d.cheap, d.strong, 0.95)
	return qualityRow{name: "subject prior (reference)", apgr: a, share95: sh}
}

func mustCell(s string) int {
	c, err := parseCell(s)
	if err != nil {
		panic(err)
	}
	return c
}

func trainRecorded(tb testing.TB, d *recordedSplit, mod func(*TrainConfig)) (*Model, time.Duration) {
	cfg := DefaultTrainConfig()
	cfg.SFT, cfg.DPO = d.sft, d.dpo
	if mod != nil {
		mod(&cfg)
	}
	t := time.Now()
	m, _, err := Train(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return m, time.Since(t)
}

// qualityTable trains the classifier (with and without DPO), kNN and random
// routers on the train split and scores every score kind on the test split.
func qualityTable(tb testing.TB, mod func(*TrainConfig)) (string, map[string]float64) {
	d := mustRecorded(tb)
	var sb strings.Builder
	metrics := map[string]float64{}
	fmt.Fprintf(&sb, "recorded MMLU: %d train rows, %d DPO pairs, %d test\n", len(d.sft), len(d.dpo), len(d.test))
	m, took := trainRecorded(tb, d, mod)
	sft, _ := trainRecorded(tb, d, func(c *TrainConfig) {
		if mod != nil {
			mod(c)
		}
		c.Hyper.DPOEpochs = 0
	})
	fmt.Fprintf(&sb, "classifier trained in %v; chosen score %s; validation APGR %v (SFT only %v)\n",
		took.Round(time.Millisecond), m.Meta.ScoreKind, sortedMap(m.Meta.Metrics.ValidationAPGR), sortedMap(m.Meta.Metrics.ValidationAPGRSFT))
	for _, k := range ScoreKinds {
		r, rs := scoreTest(tb, m, k, d), scoreTest(tb, sft, k, d)
		mark := ""
		if k == m.Meta.ScoreKind {
			mark = "  <- chosen"
			metrics["apgr"], metrics["strong_share_95"] = r.apgr, r.share95
			metrics["apgr_sft_only"] = rs.apgr
		}
		fmt.Fprintf(&sb, "  %-24s SFT+DPO APGR %.4f share95 %.3f | SFT only APGR %.4f share95 %.3f%s\n", k, r.apgr, r.share95, rs.apgr, rs.share95, mark)
	}
	knn, _ := trainRecorded(tb, d, func(c *TrainConfig) { c.Kind = KindKNN })
	rk := scoreTest(tb, knn, knn.Meta.ScoreKind, d)
	rnd, _ := trainRecorded(tb, d, func(c *TrainConfig) { c.Kind = KindRandom })
	rr := scoreTest(tb, rnd, ScoreRandom, d)
	sp := subjectPrior(d)
	metrics["apgr_knn"], metrics["apgr_random"], metrics["apgr_subject_prior"] = rk.apgr, rr.apgr, sp.apgr
	for _, r := range []qualityRow{{"knn " + knn.Meta.ScoreKind, rk.apgr, rk.share95}, {"random", rr.apgr, rr.share95}, sp} {
		fmt.Fprintf(&sb, "  %-24s APGR %.4f share95 %.3f\n", r.name, r.apgr, r.share95)
	}
	return sb.String(), metrics
}

func sortedMap(m map[string]float64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%.4f", k, m[k]))
	}
	return strings.Join(parts, " ")
}

func BenchmarkQualityMMLU(b *testing.B) {
	var table string
	var metrics map[string]float64
	for b.Loop() {
		table, metrics = qualityTable(b, nil)
	}
	b.Log("\n" + table)
	for k, v := range metrics {
		b.ReportMetric(v, k)
	}
}

// skipUnlessQuality skips the slow full-MMLU quality tests unless asked.
func skipUnlessQuality(t *testing.T) {
	t.Helper()
	if os.Getenv("LLMROUTER_QUALITY") == "" {
		t.Skip("set LLMROUTER_QUALITY=1 to train on recorded MMLU and check the quality floor")
	}
}

// TestQualityOnMMLU holds the trained router above the routers it must
// beat on the test split: random routing by a wide margin, and the prior
// that knows only each question's subject.
func TestQualityOnMMLU(t *testing.T) {
	skipUnlessQuality(t)
	table, m := qualityTable(t, nil)
	t.Log("\n" + table)
	if m["apgr"] < m["apgr_random"]+0.1 {
		t.Errorf("chosen score APGR %.4f is not 0.1 above random's %.4f", m["apgr"], m["apgr_random"])
	}
	if m["apgr"] < m["apgr_subject_prior"] {
		t.Errorf("chosen score APGR %.4f is below the subject prior's %.4f", m["apgr"], m["apgr_subject_prior"])
	}
	if m["strong_share_95"] > 0.5 {
		t.Errorf("95%% of strong-only accuracy needs %.3f strong calls, want at most half", m["strong_share_95"])
	}
}

// TestCalibrationOnMMLU checks the stored training-score quantiles against
// held-out reality: the threshold calibrated for share s (without
// --queries) must send within 5 points of s of the test split strong.
func TestCalibrationOnMMLU(t *testing.T) {
	skipUnlessQuality(t)
	d := mustRecorded(t)
	m, _ := trainRecorded(t, d, nil)
	scores := make([]float64, len(d.test))
	for i, r := range d.test {
		scores[i] = m.Predict(r.Prompt).Score
	}
	for _, share := range []float64{0.1, 0.2, 0.3, 0.4, 0.5} {
		th := quality.ThresholdForShare(m.Meta.ScoreQuantiles, share)
		n := 0
		for _, s := range scores {
			if s >= th {
				n++
			}
		}
		got := float64(n) / float64(len(scores))
		t.Logf("target share %.2f: threshold %.4f sends %.3f of the test split", share, th, got)
		if math.Abs(got-share) > 0.05 {
			t.Errorf("target share %.2f: threshold %.4f sends %.3f of the test split", share, th, got)
		}
	}
}
