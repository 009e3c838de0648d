package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"time"

	"github.com/llmrouter/llmrouter/bench/internal/proc"
	"github.com/llmrouter/llmrouter/bench/internal/stats"
	"github.com/llmrouter/llmrouter/internal/oracle"
	"github.com/llmrouter/llmrouter/internal/router"
	"github.com/llmrouter/llmrouter/internal/trainset"
)

// trainTarget is the training budget at 12k examples: a router must retrain in seconds on a CPU.
const trainTarget = 10 * time.Second

type trainReq struct {
	SFT, DPO string
}

// trainResp is what a training child measured: stage wall times (ns) and
// its memory before and after router.Train.
type trainResp struct {
	Stages    map[string]time.Duration
	Total     time.Duration
	RSSBefore int64
	HWMAfter  int64
	Score     string
}

// childTrain trains the default classifier (SFT 3 epochs + DPO 1 epoch, as
// `llmrouter train` does) on the given files in a fresh process.
func childTrain(ctx context.Context, dec *json.Decoder, emit func(any) error) error {
	var req trainReq
	if err := dec.Decode(&req); err != nil {
		return err
	}
	before, err := proc.Read(0)
	if err != nil {
		return err
	}
	cfg := router.DefaultTrainConfig()
	cfg.SFTPath, cfg.DPOPath = req.SFT, req.DPO
	t := time.Now()
	m, stages, err := router.Train(ctx, cfg)
	if err != nil {
		return err
	}
	total := time.Since(t)
	after, err := proc.Read(0)
	if err != nil {
		return err
	}
	resp := trainResp{Stages: map[string]time.Duration{}, Total: total, RSSBefore: before.RSS, HWMAfter: after.HWM, Score: m.Meta.ScoreKind}
	for _, s := range stages {
		resp.Stages[s.Name] += s.Duration
	}
	return emit(resp)
}

type trainPoint struct {
	n, pairs           int
	features, sft, dpo time.Duration
	validation, total  time.Duration
	rssBefore, peak    int64
}

// training measures SFT and DPO cost at growing data sizes, each training
// run in its own process so its peak RSS is its own.
func (b *bench) training(ctx context.Context) (*Section, error) {
	s := &Section{Title: "Training cost and scaling",
		Intro: "`router.Train` with the CLI defaults (SFT 3 epochs, DPO 1 epoch, β 0.1, score chosen on a 15% validation slice, then a final fit on all rows), " +
			"reading the SFT and DPO JSONL files as `llmrouter train` does. Examples are recorded MMLU+GSM8K questions graded by the offline oracle stage, " +
			"deduplicated and shuffled with a fixed seed; each size is trained in a fresh subprocess, median of the repeats, so its peak RSS (the process's VmHWM after training) is its own."}
	// The recorded benchmark's rows are MMLU's plus GSM8K's: the split is
	// per subject, so both halves of both are graded already.
	var rows []oracle.Row
	for _, bench := range []string{"mmlu", "gsm8k"} {
		d, err := b.data.split(ctx, bench, b.size(0, smokeItems))
		if err != nil {
			return nil, err
		}
		rows = append(append(rows, d.trainRows...), d.testRows...)
	}
	rand.New(rand.NewPCG(pipelineSeed, 2)).Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	sizes := []int{1000, 4000, 12000}
	if b.opts.smoke {
		sizes = []int{smokeItems / 2, smokeItems, 2 * smokeItems}
	}
	repeats := b.size(3, 1)
	var pts []trainPoint
	for _, n := range sizes {
		if n > len(rows) {
			return nil, fmt.Errorf("%d examples wanted, the recorded data has %d", n, len(rows))
		}
		dir := filepath.Join(b.opts.workDir, fmt.Sprintf("train_%d", n))
		st, err := trainset.Write(dir, rows[:n], oracle.DefaultMatrix())
		if err != nil {
			return nil, err
		}
		p, err := b.trainRepeats(ctx, dir, repeats)
		if err != nil {
			return nil, err
		}
		p.n, p.pairs = n, st.Pairs
		pts = append(pts, p)
		b.opts.log.Info("trained", "examples", n, "total", p.total.Round(time.Millisecond), "peak_rss", mib(p.peak))
	}
	s.Tables = append(s.Tables, trainTable(pts), growthTable(pts))
	last := pts[len(pts)-1]
	s.Tables = append(s.Tables, Table{
		Caption: "Target: train in under 10 s on 12k examples on this 2-core machine.",
		Header:  []string{"target", "measured", "target met?"},
		Rows:    [][]string{{fmt.Sprintf("total train time at %d examples < 10 s", last.n), dur(last.total), met(!b.opts.smoke && last.n >= 12000 && last.total < trainTarget)}},
	})
	s.note("\"total\" is the whole `router.Train` call: reading files, features, the validation fit used to choose the score (itself features+SFT+DPO on 85%% of the rows) and the final fit on all rows. `router.Train` runs those two fits in parallel on the two cores, so the stage columns overlap and do not add up to the total. SFT and DPO columns are the final fit's stages.")
	s.note("Peak RSS is the training process's maximum resident set; \"before\" is the same process's RSS just before `router.Train` (Go runtime and binary), so the difference is what training used.")
	return s, nil
}

func (b *bench) trainRepeats(ctx context.Context, dir string, repeats int) (trainPoint, error) {
	var tot, sft, dpo, feat, val []float64
	var p trainPoint
	for range repeats {
		var resp trainResp
		if err := runChildJob(ctx, "train", trainReq{SFT: filepath.Join(dir, trainset.SFTFile), DPO: filepath.Join(dir, trainset.DPOFile)}, &resp); err != nil {
			return p, err
		}
		tot = append(tot, float64(resp.Total))
		sft = append(sft, float64(resp.Stages["sft"]))
		dpo = append(dpo, float64(resp.Stages["dpo"]))
		feat = append(feat, float64(resp.Stages["features"]))
		val = append(val, float64(resp.Stages["validation"]))
		p.peak = max(p.peak, resp.HWMAfter)
		p.rssBefore = max(p.rssBefore, resp.RSSBefore)
	}
	md := func(xs []float64) time.Duration { return time.Duration(stats.Median(xs)) }
	p.total, p.sft, p.dpo, p.features, p.validation = md(tot), md(sft), md(dpo), md(feat), md(val)
	return p, nil
}

func trainTable(pts []trainPoint) Table {
	t := Table{Header: []string{"examples", "DPO pairs", "features", "SFT (final fit)", "DPO (final fit)", "score selection fit", "total train", "peak RSS", "RSS before training"}}
	for _, p := range pts {
		t.add(fmt.Sprint(p.n), fmt.Sprint(p.pairs), dur(p.features), dur(p.sft), dur(p.dpo), dur(p.validation), dur(p.total), mib(p.peak), mib(p.rssBefore))
	}
	return t
}

// growthTable gives each size's cost as a ratio of the previous size's,
// with the implied exponent (1 = linear in the data).
func growthTable(pts []trainPoint) Table {
	t := Table{Caption: "Growth between consecutive sizes (ratios of medians measured in this run; exponent b in time ∝ examples^b, 1 = linear).",
		Header: []string{"from → to", "data ×", "SFT time ×", "DPO time ×", "total time ×", "exponent (total)", "peak RSS ×"}}
	for i := 1; i < len(pts); i++ {
		a, c := pts[i-1], pts[i]
		dx := float64(c.n) / float64(a.n)
		r := func(x, y time.Duration) float64 { return float64(y) / float64(x) }
		t.add(fmt.Sprintf("%d → %d", a.n, c.n), ratio(dx), ratio(r(a.sft, c.sft)), ratio(r(a.dpo, c.dpo)), ratio(r(a.total, c.total)),
			f(stats.GrowthExponent(float64(a.n), float64(a.total), float64(c.n), float64(c.total)), 2),
			ratio(float64(c.peak)/float64(a.peak)))
	}
	return t
}
