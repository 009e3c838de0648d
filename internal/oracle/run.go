package oracle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/llmrouter/llmrouter/internal/apierr"
	"github.com/llmrouter/llmrouter/internal/atomicfile"
	"github.com/llmrouter/llmrouter/internal/catalog"
	"github.com/llmrouter/llmrouter/internal/dataset"
	"github.com/llmrouter/llmrouter/internal/features"
	"github.com/llmrouter/llmrouter/internal/grade"
	"github.com/llmrouter/llmrouter/internal/judge"
	"github.com/llmrouter/llmrouter/internal/provider"
)

// Output files written to Config.OutputDir.
const (
	DatasetFile = "oracle_dataset.jsonl"
	SummaryFile = "oracle_summary.json"
)

// ErrInterrupted is returned when the context is cancelled mid-run. Every
// finished call is in the journal, so rerunning resumes.
var ErrInterrupted = errors.New("interrupted; rerun the same command to resume")

// Providers resolves a catalogue model name (provider.Registry does).
type Providers interface {
	Get(model string) (provider.Provider, catalog.Model, error)
}

// Config configures one oracle run.
type Config struct {
	Items []dataset.Item
	// Cheap and Strong are catalogue model names: the pair the matrix
	// labels each row for.
	Cheap, Strong string
	// Models lists every answering model, Cheap and Strong among them, in
	// the order rows list their results; empty means just Cheap and Strong.
	Models []string
	Judge  judge.Judge
	// Label is how rows are labelled: LabelGold (empty; Judge grades each
	// answer against the gold), LabelPairwise or LabelReference (no gold;
	// see nogold.go).
	Label string
	// Pairwise compares the two answers, for LabelPairwise.
	Pairwise PairJudge
	// Reference grades the cheap answer against the strong one, for
	// LabelReference.
	Reference ReferenceJudge
	// JudgeName identifies the judge in the journal and summary (a model
	// name, or "rule"); a resume with a different judge is refused.
	JudgeName string
	Providers Providers
	// Matrix maps grades to policies; the zero value means DefaultMatrix.
	Matrix    Matrix
	OutputDir string
	// Concurrency bounds upstream calls in flight (default 16). While the
	// upstream answers 429 the run goes slower than this (see limited).
	Concurrency int
	// RPS bounds upstream calls started per second; 0 is unlimited.
	RPS float64
	// BatchSize caps the calls persisted per journal write+fsync (group
	// commit); 0 means 64.
	BatchSize int
	// SkipErrors records per-item failures (a rejected prompt) and goes on
	// instead of failing the run.
	SkipErrors bool
	// RateLimitPatience bounds how long one call may be rate limited
	// (refused attempts plus backoffs) before the run stops with
	// ErrRateLimitPatience; default DefaultRateLimitPatience.
	RateLimitPatience time.Duration
	// RateLimitBackoff is the first wait before requeueing a call refused
	// with 429 and no Retry-After; it doubles per refusal up to
	// RateLimitMaxBackoff, which also caps a Retry-After (defaults
	// DefaultRateLimitBackoff and DefaultRateLimitMaxBackoff).
	RateLimitBackoff, RateLimitMaxBackoff time.Duration
	// Grace bounds how long in-flight calls may finish after cancellation
	// (default 30s); after it they are cancelled too.
	Grace    time.Duration
	Logger   *slog.Logger
	Progress io.Writer
	IsTTY    bool
	// Batch says the providers answer through batch APIs at the batch
	// price (see BatchProviders); the summary records it.
	Batch bool
}

type side struct {
	name  string // SideCheap, SideStrong or SideModel(model)
	model string // catalogue name
	p     provider.Provider
	m     catalog.Model
}

// itemState collects one item's results, indexed like runner.sides; only
// its own goroutine writes it.
type itemState struct {
	ans   []*CallRecord
	grade []*CallRecord
	// pair holds the pairwise judge's calls, cheap-first then strong-first.
	pair  [2]*CallRecord
	chars features.Characteristics
	err   error
}

type runner struct {
	cfg   Config
	log   *slog.Logger
	sides []side
	// cheap and strong index the matrix's pair in sides.
	cheap, strong int
	done          map[callKey]CallRecord
	jr            *journal
	limiter       *rate.Limiter
	gate          *gate
	rng           *rand.Rand // backoff jitter, guarded by mu
	local         bool       // the judge makes no upstream calls
	prog          *progress
	callCtx       context.Context
	// stopCtx is cancelled when dispatch stops (interrupt or fatal error).
	stopCtx  context.Context
	halt0    context.CancelFunc
	fatal    error
	mu       sync.Mutex
	skipped  []Skipped
	calls    int
	resumed  int
	requeues int
}

// Run answers every item with both models, grades each answer blindly,
// applies the matrix, and writes oracle_dataset.jsonl and oracle_summary.json
// to cfg.OutputDir. Finished calls go to the journal first, so a run that
// fails or is interrupted resumes without paying for any call twice.
func Run(ctx context.Context, cfg Config) (*Summary, error) {
	start := time.Now()
	r, err := newRunner(cfg)
	if err != nil {
		return nil, err
	}
	defer r.halt0()
	jpath := filepath.Join(r.cfg.OutputDir, JournalFile)
	// A run killed while writing its outputs leaves temp files; this run
	// owns the directory and rewrites them.
	for _, f := range []string{DatasetFile, SummaryFile} {
		if err := atomicfile.RemoveStaleTemps(filepath.Join(r.cfg.OutputDir, f)); err != nil {
			return nil, err
		}
	}
	if r.done, err = loadJournal(jpath, r.log); err != nil {
		return nil, err
	}
	if err := r.checkJournal(jpath); err != nil {
		return nil, err
	}
	if r.jr, err = openJournal(jpath, r.cfg.BatchSize); err != nil {
		return nil, err
	}
	states := r.execute(ctx)
	if cerr := r.jr.Close(); cerr != nil && r.fatal == nil {
		r.fatal = cerr
	}
	r.prog.finish()
	if r.fatal != nil {
		return nil, fmt.Errorf("%w (finished calls are saved in %s; rerun to resume)", r.fatal, jpath)
	}
	if n := unfinished(states); n > 0 {
		r.log.Warn("oracle interrupted", "unfinished_questions", n, "journal", jpath)
		return nil, ErrInterrupted
	}
	rows, err := r.buildRows(states)
	if err != nil {
		return nil, err
	}
	sum := r.summarize(rows, states, time.Since(start))
	if err := writeOutputs(r.cfg.OutputDir, rows, sum); err != nil {
		return nil, err
	}
	return sum, nil
}

func newRunner(cfg Config) (*runner, error) {
	if err := validateConfig(&cfg); err != nil {
		return nil, err
	}
	r := &runner{cfg: cfg, log: cfg.Logger, local: cfg.Judge != nil && judge.IsLocal(cfg.Judge)}
	r.stopCtx, r.halt0 = context.WithCancel(context.Background())
	if err := r.setSides(); err != nil {
		return nil, err
	}
	if cfg.RPS > 0 {
		r.limiter = rate.NewLimiter(rate.Limit(cfg.RPS), 1)
	}
	r.gate = newGate(cfg.Concurrency, r.windowChanged)
	r.rng = rand.New(rand.NewPCG(uint64(len(cfg.Items)), 0x9e3779b97f4a7c15))
	if err := os.MkdirAll(cfg.OutputDir, 0o755); err != nil {
		return nil, fmt.Errorf("create output dir: %w", err)
	}
	return r, nil
}

func validateConfig(cfg *Config) error {
	switch {
	case len(cfg.Items) == 0:
		return errors.New("oracle: no items to process")
	case cfg.Cheap == "" || cfg.Strong == "":
		return errors.New("oracle: cheap and strong models are required")
	case cfg.Cheap == cfg.Strong:
		return fmt.Errorf("oracle: cheap and strong are both %q; the matrix compares two different models", cfg.Cheap)
	case cfg.Judge == nil && cfg.Label == LabelGold:
		return errors.New("oracle: a judge is required")
	case cfg.Providers == nil:
		return errors.New("oracle: a provider registry is required")
	case cfg.OutputDir == "":
		return errors.New("oracle: an output directory is required")
	case cfg.Concurrency < 0 || cfg.RPS < 0 || cfg.BatchSize < 0:
		return errors.New("oracle: concurrency, rps and batch size must not be negative")
	case cfg.RateLimitPatience < 0 || cfg.RateLimitBackoff < 0 || cfg.RateLimitMaxBackoff < 0:
		return errors.New("oracle: rate-limit patience and backoffs must not be negative")
	}
	if err := normalizeModels(cfg); err != nil {
		return err
	}
	if err := validateLabel(cfg); err != nil {
		return err
	}
	seen := make(map[string]int, len(cfg.Items))
	for i, it := range cfg.Items {
		if it.ID == "" {
			return fmt.Errorf("oracle: item %d has no id", i+1)
		}
		if j, dup := seen[it.ID]; dup {
			return fmt.Errorf("oracle: duplicate id %q (items %d and %d); ids key the resume journal", it.ID, j+1, i+1)
		}
		seen[it.ID] = i
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = 16
	}
	if cfg.RateLimitPatience == 0 {
		cfg.RateLimitPatience = DefaultRateLimitPatience
	}
	if cfg.RateLimitBackoff == 0 {
		cfg.RateLimitBackoff = DefaultRateLimitBackoff
	}
	if cfg.RateLimitMaxBackoff == 0 {
		cfg.RateLimitMaxBackoff = DefaultRateLimitMaxBackoff
	}
	if cfg.Grace == 0 {
		cfg.Grace = 30 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.JudgeName == "" {
		cfg.JudgeName = "judge"
	}
	if cfg.Matrix.cells == nil {
		cfg.Matrix = DefaultMatrixFor(cfg.Label)
	}
	return nil
}

// checkJournal refuses to mix calls from different models or judges in one
// dataset: a resume must continue the same run.
func (r *runner) checkJournal(path string) error {
	want := make(map[string]string, len(r.sides))
	for _, s := range r.sides {
		want[s.name] = s.model
	}
	for _, rec := range r.done {
		if rec.Kind == KindCompare && rec.Model != r.cfg.JudgeName {
			return fmt.Errorf("%s holds pairwise judge calls from %q, but this run judges with %q: use another --output-dir or delete the journal to start over",
				path, rec.Model, r.cfg.JudgeName)
		}
		w, ours := want[rec.Side]
		if !ours {
			// Another model's calls, from a run with more models: they do
			// not mix into this dataset, and a later run may still use them.
			continue
		}
		if rec.Kind == KindGrade {
			w = r.cfg.JudgeName
		}
		if rec.Model != w {
			return fmt.Errorf("%s holds %s calls for the %s side from %q, but this run uses %q: use another --output-dir or delete the journal to start over",
				path, rec.Kind, rec.Side, rec.Model, w)
		}
	}
	return nil
}

// execute dispatches every item and waits for all of them. Cancellation or a
// fatal error stops dispatching; calls already in flight finish (within the
// grace period) and are persisted.
func (r *runner) execute(ctx context.Context) []itemState {
	states := make([]itemState, len(r.cfg.Items))
	callCtx, cancelCalls := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelCalls()
	r.callCtx = callCtx
	stopGrace := context.AfterFunc(ctx, func() {
		r.halt(nil)
		t := time.NewTimer(r.cfg.Grace)
		defer t.Stop()
		select {
		case <-t.C:
			cancelCalls()
		case <-callCtx.Done():
		}
	})
	defer stopGrace()
	r.prog = newProgress(r.cfg, len(r.cfg.Items))

	// Bound open items too, so a million-item input does not mean a
	// million goroutines waiting on the semaphore. Several items per call
	// slot keep the journal's group commits large when calls are fast
	// (replay), where the fsync, not the upstream, is the bottleneck.
	slots := make(chan struct{}, 8*r.cfg.Concurrency)
	var wg sync.WaitGroup
dispatch:
	for i := range r.cfg.Items {
		select {
		case slots <- struct{}{}:
		case <-r.stopCtx.Done():
			break dispatch
		}
		if r.stopped() {
			<-slots
			break
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-slots }()
			r.processItem(&states[i], r.cfg.Items[i])
		}(i)
	}
	wg.Wait()
	cancelCalls()
	return states
}

func (r *runner) stopped() bool {
	return r.stopCtx.Err() != nil
}

// halt stops dispatch; a non-nil err is the run's fatal error.
func (r *runner) halt(err error) {
	r.halt0()
	if err != nil {
		r.mu.Lock()
		if r.fatal == nil {
			r.fatal = err
		}
		r.mu.Unlock()
	}
}

func (r *runner) processItem(st *itemState, it dataset.Item) {
	n := len(r.sides)
	st.ans, st.grade = make([]*CallRecord, n), make([]*CallRecord, n)
	if r.cfg.Label == LabelGold {
		st.err = r.eachSide(func(i int) error { return r.processSide(st, i, it) })
	} else {
		st.err = r.labelNoGold(st, it)
	}
	if st.err != nil {
		return
	}
	// Computed here, in parallel, as the regexes cost more than a replayed call.
	st.chars = features.Analyze(it.Problem)
	r.prog.add(st)
}

// eachSide runs fn for every side at once and joins their errors.
func (r *runner) eachSide(fn func(i int) error) error {
	errs := make([]error, len(r.sides))
	var wg sync.WaitGroup
	for i := range r.sides {
		wg.Go(func() { errs[i] = fn(i) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// answerSide answers one side of one item, reusing a journaled answer.
func (r *runner) answerSide(st *itemState, i int, it dataset.Item) error {
	s := r.sides[i]
	ans, err := r.call(keyOf(it, KindAnswer, s.name), s.model, func(ctx context.Context) (CallResult, error) {
		return r.answer(ctx, s, it)
	}, false)
	if err != nil {
		return r.failure(it, s.name, KindAnswer, err)
	}
	st.ans[i] = ans
	return nil
}

// processSide answers then grades one side of one item, reusing journaled
// results. The error is errStopped if dispatch stopped before it finished.
func (r *runner) processSide(st *itemState, i int, it dataset.Item) error {
	if err := r.answerSide(st, i, it); err != nil {
		return err
	}
	s, ans := r.sides[i], st.ans[i]
	q := judge.Question{Problem: it.Problem, Gold: it.Answer, Benchmark: it.Benchmark}
	gr, err := r.call(keyOf(it, KindGrade, s.name), r.cfg.JudgeName, func(ctx context.Context) (CallResult, error) {
		v, err := r.cfg.Judge.Grade(ctx, q, ans.Result.Text)
		if err != nil {
			return CallResult{}, err
		}
		if !grade.Valid(v.Grade) {
			return CallResult{}, fmt.Errorf("judge returned unknown grade %q", v.Grade)
		}
		return gradeResult(v), nil
	}, r.local)
	if err != nil {
		return r.failure(it, s.name, KindGrade, err)
	}
	st.grade[i] = gr
	return nil
}

// gradeResult is how the journal records a judge's verdict.
func gradeResult(v judge.Verdict) CallResult {
	return CallResult{Text: v.Raw, Usage: v.Usage, Cost: v.Cost, LatencyMS: ms(v.Latency), Grade: v.Grade, Method: v.Method}
}

var errStopped = errors.New("stopped before the call was made")

// unfinished counts items that were never dispatched or stopped midway.
func unfinished(states []itemState) int {
	n := 0
	for _, st := range states {
		if errors.Is(st.err, errStopped) || (st.err == nil && !graded(&st)) {
			n++
		}
	}
	return n
}

// failure classifies an error: stops are silent, per-item errors are
// skipped when allowed, anything else halts the run.
func (r *runner) failure(it dataset.Item, sideName, kind string, err error) error {
	if errors.Is(err, errStopped) {
		return err
	}
	if r.stopped() && errors.Is(err, context.Canceled) {
		// Cancelled after the grace period (a --batch call waits for its
		// job): nothing was journaled, so a rerun makes the call, or
		// attaches to the batch job that holds it.
		return errStopped
	}
	if r.cfg.SkipErrors && PerItemError(err) {
		r.log.Warn("oracle: skipping item after a per-item error", "id", it.ID, "side", sideName, "kind", kind, "err", err)
		r.mu.Lock()
		r.skipped = append(r.skipped, Skipped{ID: it.ID, Side: sideName, Kind: kind, Error: err.Error()})
		r.mu.Unlock()
		return err
	}
	r.halt(fmt.Errorf("item %s: %s %s: %w", it.ID, sideName, kind, err))
	return err
}

// PerItemError reports whether err concerns only the item at hand (the
// upstream rejected this prompt), so other items may still succeed. Auth,
// rate-limit, outage and timeout errors affect every call and are not
// (rate limits are waited out before they get here: see limited).
func PerItemError(err error) bool {
	var e *apierr.Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code {
	case apierr.Invalid, apierr.TooLarge:
		return true
	case apierr.UpstreamRejected:
		return e.UpstreamStatus == 400
	}
	return false
}

// call returns the journaled record for key, or makes the call under the
// concurrency and rate limits and journals it before returning. Local calls
// (rule judges) are free and deterministic, so they are neither limited nor
// journaled.
func (r *runner) call(key callKey, model string, do func(context.Context) (CallResult, error), local bool) (*CallRecord, error) {
	if rec, ok := r.done[key]; ok {
		r.mu.Lock()
		r.resumed++
		r.mu.Unlock()
		return &rec, nil
	}
	if local {
		res, err := do(r.callCtx)
		if err != nil {
			return nil, err
		}
		return &CallRecord{ID: key.id, Kind: key.kind, Side: key.side, Model: model, Result: res, Conv: key.conv}, nil
	}
	res, err := r.limited(do)
	if err != nil {
		return nil, err
	}
	rec := CallRecord{ID: key.id, Kind: key.kind, Side: key.side, Model: model, Result: res, Conv: key.conv}
	if err := r.jr.Append(rec); err != nil {
		r.halt(err)
		return nil, err
	}
	r.mu.Lock()
	r.calls++
	r.mu.Unlock()
	r.prog.addCost(res.Cost)
	return &rec, nil
}

func (r *runner) answer(ctx context.Context, s side, it dataset.Item) (CallResult, error) {
	req := &provider.Request{Model: s.m.UpstreamModel, Messages: answerMessages(it)}
	resp, err := s.p.Complete(ctx, req)
	if err != nil {
		return CallResult{}, err
	}
	u := resp.Usage
	return CallResult{
		Text:      resp.Text,
		Usage:     u,
		Cost:      s.m.Price.Cost(u.InputTokens, u.BilledOutput()),
		LatencyMS: ms(resp.Latency),
	}, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
