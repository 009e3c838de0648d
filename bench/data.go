package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/llmrouter/llmrouter/internal/catalog"
	"github.com/llmrouter/llmrouter/internal/dataset"
	"github.com/llmrouter/llmrouter/internal/judge"
	"github.com/llmrouter/llmrouter/internal/oracle"
	"github.com/llmrouter/llmrouter/internal/provider/registry"
	"github.com/llmrouter/llmrouter/internal/provider/replay"
	"github.com/llmrouter/llmrouter/internal/trainset"
)

// Pipeline settings the benchmark reproduces (llmrouter pipeline defaults).
const (
	pipelineSeed  = 42
	pipelineRatio = 0.8
)

// splitData is one recorded benchmark run through the offline pipeline's
// stages: split, oracle on each half (replayed recorded outcomes, rule
// judge), prepare (SFT and DPO rows from the train half only).
type splitData struct {
	bench               string
	train, test         []dataset.Item
	trainRows, testRows []oracle.Row
	sft                 []trainset.SFTRow
	dpo                 []trainset.DPORow
	dropped             int
}

// dataCache computes each benchmark's split once per run.
type dataCache struct {
	dir string
	log *slog.Logger
	mu  sync.Mutex
	m   map[string]*splitData
}

func newDataCache(dir string, log *slog.Logger) *dataCache {
	return &dataCache{dir: dir, log: log, m: map[string]*splitData{}}
}

// split returns bench ("mmlu", "gsm8k" or "recorded") split and graded;
// limit > 0 keeps that many items of each half (smoke runs).
func (c *dataCache) split(ctx context.Context, bench string, limit int) (*splitData, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := fmt.Sprintf("%s/%d", bench, limit)
	if d, ok := c.m[key]; ok {
		return d, nil
	}
	items, err := dataset.RecordedItems(bench)
	if err != nil {
		return nil, err
	}
	d := &splitData{bench: bench}
	d.train, d.test, d.dropped = dataset.Split(items, pipelineRatio, pipelineSeed)
	if limit > 0 {
		d.train, d.test = subsample(d.train, limit), subsample(d.test, limit)
	}
	base := filepath.Join(c.dir, "data", strings.ReplaceAll(key, "/", "_"))
	if d.trainRows, err = gradeItems(ctx, d.train, filepath.Join(base, "oracle_train"), c.log); err != nil {
		return nil, fmt.Errorf("%s train split: %w", bench, err)
	}
	if d.testRows, err = gradeItems(ctx, d.test, filepath.Join(base, "oracle_test"), c.log); err != nil {
		return nil, fmt.Errorf("%s test split: %w", bench, err)
	}
	d.sft, d.dpo = trainset.Build(d.trainRows, oracle.DefaultMatrix())
	c.m[key] = d
	return d, nil
}

// subsample keeps n items chosen by a seeded shuffle, in input order, so a
// smoke run still sees several subjects.
func subsample(items []dataset.Item, n int) []dataset.Item {
	if len(items) <= n {
		return items
	}
	idx := rand.New(rand.NewPCG(pipelineSeed, 1)).Perm(len(items))[:n]
	keep := make([]bool, len(items))
	for _, i := range idx {
		keep[i] = true
	}
	out := make([]dataset.Item, 0, n)
	for i, it := range items {
		if keep[i] {
			out = append(out, it)
		}
	}
	return out
}

// gradeItems runs the real oracle stage on items exactly as the offline
// pipeline does: both recorded models through the replay provider, the
// mechanical rule judge, the default matrix. Rows come back in item order.
func gradeItems(ctx context.Context, items []dataset.Item, dir string, log *slog.Logger) ([]oracle.Row, error) {
	cat, err := catalog.DefaultCatalogue()
	if err != nil {
		return nil, err
	}
	roles, ok := cat.Defaults["recorded"]
	if !ok {
		return nil, fmt.Errorf("built-in catalogue has no recorded roles")
	}
	all, err := dataset.Recorded()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	reg := registry.New(cat, registry.Options{Replay: replay.Lazy(replay.Options{}), Getenv: func(string) string { return "" }, Logger: log})
	_, err = oracle.Run(ctx, oracle.Config{
		Items: items, Cheap: roles.Cheap, Strong: roles.Strong,
		Judge: judge.Rule(judge.NewRecordedTable(all)), JudgeName: "rule",
		Providers: reg, OutputDir: dir, Concurrency: 8, BatchSize: 512,
		Logger: quiet(log), Progress: io.Discard,
	})
	if err != nil {
		return nil, err
	}
	rows, err := oracle.ReadDataset(filepath.Join(dir, oracle.DatasetFile))
	if err != nil {
		return nil, err
	}
	byID := make(map[string]oracle.Row, len(rows))
	for _, r := range rows {
		byID[r.ID] = r
	}
	out := make([]oracle.Row, 0, len(items))
	for _, it := range items {
		r, ok := byID[it.ID]
		if !ok {
			return nil, fmt.Errorf("oracle produced no row for %s", it.ID)
		}
		out = append(out, r)
	}
	return out, nil
}

// wordQueries returns n distinct queries of exactly words words each, cut
// from consecutive recorded prompts, so latency is measured on real text
// rather than one repeated string.
func wordQueries(items []dataset.Item, words, n int) []string {
	var pool []string
	for _, it := range items {
		pool = append(pool, strings.Fields(it.Problem)...)
		if len(pool) >= words*n+words {
			break
		}
	}
	if len(pool) == 0 {
		pool = strings.Fields("which of the following best explains the result of the experiment described above")
	}
	for len(pool) < words+n { // tiny inputs (smoke): repeat the text
		pool = append(pool, pool...)
	}
	out := make([]string, n)
	step := max(1, (len(pool)-words)/n)
	for i := range out {
		s := (i * step) % (len(pool) - words + 1)
		out[i] = strings.Join(pool[s:s+words], " ")
	}
	return out
}

// quiet drops a library's info-level progress lines from the bench's log.
func quiet(log *slog.Logger) *slog.Logger {
	return slog.New(levelFilter{log.Handler(), slog.LevelWarn})
}

type levelFilter struct {
	slog.Handler
	min slog.Level
}

func (h levelFilter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}
