package main

import (
	"flag"
	"fmt"
	"time"

	"github.com/llmrouter/llmrouter/internal/batch"
	"github.com/llmrouter/llmrouter/internal/catalog"
	"github.com/llmrouter/llmrouter/internal/oracle"
	"github.com/llmrouter/llmrouter/internal/provider"
)

// batchFlags are oracle's --batch settings.
type batchFlags struct {
	on           bool
	window, poll time.Duration
}

func addBatchFlags(fs *flag.FlagSet, b *batchFlags) {
	fs.BoolVar(&b.on, "batch", false, "make every answer and judge call through the providers' batch APIs (Gemini Batch Mode, OpenAI Batch) at the batch price; "+
		"results take minutes to 24 hours, jobs are journaled in oracle_batches.jsonl and a rerun resumes them")
	fs.DurationVar(&b.window, "batch-window", batch.DefaultWindow, "with --batch: submit a job once no new call has come for this long")
	fs.DurationVar(&b.poll, "batch-poll", batch.DefaultPoll, "with --batch: interval between polls of a running job")
}

func (b batchFlags) check() error {
	if b.window <= 0 || b.poll <= 0 {
		return fmt.Errorf("%w: --batch-window and --batch-poll must be > 0", errUsage)
	}
	return nil
}

// batchRegistry wraps reg so every model answers through its batch API.
// The registry must hand out endpoints (the real one does).
func batchRegistry(env *Env, reg modelRegistry, f oracleFlags) (*batchModels, error) {
	keyed, ok := reg.(oracle.KeyedProviders)
	if !ok {
		return nil, fmt.Errorf("--batch: this provider registry cannot reach batch APIs")
	}
	var progress = env.Stderr
	if !isTerminal(env.Stderr) {
		progress = nil // the log lines say it already
	}
	bp, err := oracle.NewBatchProviders(keyed, oracle.BatchOptions{OutputDir: f.outDir, Window: f.batch.window,
		Poll: f.batch.poll, Logger: env.Log, Progress: progress})
	if err != nil {
		return nil, err
	}
	return &batchModels{BatchProviders: bp, plain: reg}, nil
}

// batchModels is the batch registry with a plain answer for the offline
// models: a replayed benchmark has no provider behind it, so "no
// batch_discount" would send the user looking for a price that cannot
// exist.
type batchModels struct {
	*oracle.BatchProviders
	plain modelRegistry
}

func (b *batchModels) Get(model string) (provider.Provider, catalog.Model, error) {
	if _, m, err := b.plain.Get(model); err == nil && m.Provider == replayProvider {
		return nil, catalog.Model{}, fmt.Errorf("--batch: %s replays a recorded benchmark offline; recorded benchmarks have no batch API (their answers are already recorded and cost nothing), so run without --batch", model)
	}
	return b.BatchProviders.Get(model)
}

// replayProvider is the catalogue provider of the recorded benchmarks.
const replayProvider = "replay"

// batchConfig lets every call of a phase be in flight at once, so all the
// answers go into one job per model and the judge calls into the next.
func batchConfig(cfg *oracle.Config) {
	cfg.Batch = true
	cfg.RPS = 0
	cfg.Concurrency = max(cfg.Concurrency, len(cfg.Items)*max(len(cfg.Models), 2)*2)
}
