package oracle

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/llmrouter/llmrouter/internal/batch"
	"github.com/llmrouter/llmrouter/internal/catalog"
	"github.com/llmrouter/llmrouter/internal/provider"
)

// BatchJournalFile records the batch jobs of a --batch run, next to the
// call journal: which job holds which requests, written before the job is
// waited on, so a rerun polls those jobs instead of paying for them again.
const BatchJournalFile = "oracle_batches.jsonl"

// KeyedProviders is a provider registry that also hands out each model's
// API endpoint and key (provider/registry implements it).
type KeyedProviders interface {
	Providers
	CheckKey(model string) error
	Endpoint(model string) (baseURL, apiKey string, err error)
}

// BatchOptions configures BatchProviders.
type BatchOptions struct {
	// OutputDir is the oracle's output directory, which holds the batch
	// journal.
	OutputDir string
	// Window, MaxRequests and Poll are batch.Options'; zero keeps their
	// defaults.
	Window      time.Duration
	MaxRequests int
	Poll        time.Duration
	Logger      *slog.Logger
	// Progress, if set, gets a line per job state or count change.
	Progress io.Writer
}

// BatchProviders hands out, for every model, a provider that answers
// through the model's batch API and the model's catalogue entry priced at
// its batch price, so the oracle's answer and judge costs are batch costs.
// Close it after the run.
type BatchProviders struct {
	reg     KeyedProviders
	opts    BatchOptions
	journal *batch.Journal
	mu      sync.Mutex
	models  map[string]*batch.Batcher
	out     sync.Mutex // serializes progress lines
}

// NewBatchProviders opens the batch journal in opts.OutputDir.
func NewBatchProviders(reg KeyedProviders, opts BatchOptions) (*BatchProviders, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(opts.OutputDir, 0o755); err != nil {
		return nil, fmt.Errorf("create output dir: %w", err)
	}
	j, err := batch.OpenJournal(filepath.Join(opts.OutputDir, BatchJournalFile), opts.Logger)
	if err != nil {
		return nil, err
	}
	return &BatchProviders{reg: reg, opts: opts, journal: j, models: map[string]*batch.Batcher{}}, nil
}

// CheckKey implements the registry's key check.
func (p *BatchProviders) CheckKey(model string) error { return p.reg.CheckKey(model) }

// Get returns model's batching provider and its entry at the batch price.
func (p *BatchProviders) Get(model string) (provider.Provider, catalog.Model, error) {
	_, m, err := p.reg.Get(model)
	if err != nil {
		return nil, catalog.Model{}, err
	}
	price, ok := m.BatchPrice()
	if !ok {
		return nil, catalog.Model{}, fmt.Errorf("model %s has no batch_discount in the catalogue: --batch needs the price of its provider's batch API (e.g. batch_discount: 0.5)", model)
	}
	m.Price = price
	p.mu.Lock()
	defer p.mu.Unlock()
	if b, ok := p.models[model]; ok {
		return b, m, nil
	}
	base, key, err := p.reg.Endpoint(model)
	if err != nil {
		return nil, catalog.Model{}, err
	}
	var be batch.Backend
	switch m.Provider {
	case "gemini":
		be = batch.NewGemini(batch.Config{BaseURL: base, APIKey: key})
	case "openai":
		be = batch.NewOpenAI(batch.Config{BaseURL: base, APIKey: key})
	default:
		return nil, catalog.Model{}, fmt.Errorf("model %s: provider %q has no batch API (--batch takes gemini and openai models)", model, m.Provider)
	}
	b, err := batch.New(batch.Options{Backend: be, Model: m.UpstreamModel, Journal: p.journal,
		Window: p.opts.Window, MaxRequests: p.opts.MaxRequests, Poll: p.opts.Poll,
		Logger: p.opts.Logger, OnStatus: p.status})
	if err != nil {
		return nil, catalog.Model{}, err
	}
	p.models[model] = b
	return b, m, nil
}

// status reports a job's progress in the log and on the progress writer.
func (p *BatchProviders) status(model string, j batch.Job) {
	c := j.Counts
	args := []any{"model", model, "job", j.ID, "state", j.Raw, "requests", c.Total,
		"succeeded", c.Succeeded, "failed", c.Failed, "pending", c.Pending}
	switch j.State {
	case batch.Failed:
		p.opts.Logger.Error("oracle batch job failed", append(args, "error", j.Message)...)
	case batch.Expired, batch.Cancelled:
		p.opts.Logger.Warn("oracle batch job ended unfinished; its unanswered requests go into a new job", args...)
	default:
		p.opts.Logger.Info("oracle batch job", args...)
	}
	if p.opts.Progress == nil {
		return
	}
	p.out.Lock()
	defer p.out.Unlock()
	line := fmt.Sprintf("\rbatch %s %s: %s, %d requests: %d succeeded, %d failed, %d pending",
		model, j.ID, j.Raw, c.Total, c.Succeeded, c.Failed, c.Pending)
	if j.Message != "" {
		line += ": " + j.Message
	}
	fmt.Fprintln(p.opts.Progress, line)
}

// Close stops every batcher (jobs keep running upstream; a rerun resumes
// them) and closes the journal.
func (p *BatchProviders) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, b := range p.models {
		b.Close()
	}
	p.models = map[string]*batch.Batcher{}
	return p.journal.Close()
}
