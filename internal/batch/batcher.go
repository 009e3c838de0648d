package batch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/llmrouter/llmrouter/internal/apierr"
	"github.com/llmrouter/llmrouter/internal/provider"
)

// Batcher defaults.
const (
	DefaultWindow      = 5 * time.Second
	DefaultMaxRequests = 10000
	DefaultPoll        = 30 * time.Second
	DefaultAttempts    = 3
	// pollErrorLimit is how many polls in a row may fail transiently before
	// the job's callers get the error.
	pollErrorLimit = 10
)

// Options configures a Batcher. Backend, Model and Journal are required.
type Options struct {
	Backend Backend
	// Model is the upstream model id every request is sent to.
	Model   string
	Journal *Journal
	// Window is how long the queue waits for another request before it is
	// submitted as a job (default DefaultWindow); MaxRequests submits it at
	// once when it reaches that many (default DefaultMaxRequests).
	Window      time.Duration
	MaxRequests int
	// Poll is the interval between polls of a running job (default
	// DefaultPoll).
	Poll time.Duration
	// Attempts bounds how many jobs one request may be put in: a request a
	// job left unanswered (expired, cancelled, a rate limit or server error
	// inside the job) goes into the next job until then (default
	// DefaultAttempts).
	Attempts int
	Logger   *slog.Logger
	// OnStatus, if set, is called whenever a job's state or counts change.
	OnStatus func(model string, job Job)
}

// Batcher is a provider.Provider that answers through batch jobs. Complete
// blocks until the job holding the request has finished. Identical
// requests (same model and body) share one slot in a job and one answer.
type Batcher struct {
	opts   Options
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu    sync.Mutex
	queue []*entry
	timer *time.Timer
	live  map[string]*entry // queued or in a job, by key
	watch map[string]*watch // jobs being polled, by id
	// intents are jobs whose creation is unconfirmed, by name.
	intents map[string]*watch
	ended   map[string]bool   // jobs this process saw finish
	cache   map[string]Result // answers of journaled jobs nobody has asked for yet
	closed  bool
}

type entry struct {
	key      string
	body     []byte
	waiters  []chan Result
	attempts int
}

type watch struct {
	id      string
	entries map[string]*entry
}

var _ provider.Provider = (*Batcher)(nil)

// New returns a Batcher; Close it to stop its jobs' polling.
func New(opts Options) (*Batcher, error) {
	switch {
	case opts.Backend == nil:
		return nil, errors.New("batch: a backend is required")
	case opts.Model == "":
		return nil, errors.New("batch: a model is required")
	case opts.Journal == nil:
		return nil, errors.New("batch: a journal is required: batch jobs must be recorded before they are waited on")
	}
	if opts.Window <= 0 {
		opts.Window = DefaultWindow
	}
	if opts.MaxRequests <= 0 {
		opts.MaxRequests = DefaultMaxRequests
	}
	if opts.Poll <= 0 {
		opts.Poll = DefaultPoll
	}
	if opts.Attempts <= 0 {
		opts.Attempts = DefaultAttempts
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	b := &Batcher{opts: opts, live: map[string]*entry{}, watch: map[string]*watch{}, intents: map[string]*watch{},
		ended: map[string]bool{}, cache: map[string]Result{}}
	b.ctx, b.cancel = context.WithCancel(context.Background())
	return b, nil
}

// Complete queues req for the next job, or attaches it to the journaled job
// that already holds it, and returns its answer.
func (b *Batcher) Complete(ctx context.Context, req *provider.Request) (*provider.Response, error) {
	start := time.Now()
	r := *req
	r.Model = b.opts.Model
	body, err := b.opts.Backend.Encode(&r)
	if err != nil {
		return nil, err
	}
	key := Key(b.opts.Backend.Provider(), b.opts.Model, body)
	ch := make(chan Result, 1)
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil, apierr.New(apierr.Unavailable, "batch %s: closed", b.opts.Model)
	}
	if res, ok := b.cache[key]; ok {
		b.mu.Unlock()
		return b.answer(&r, res, start)
	}
	if e, ok := b.live[key]; ok {
		e.waiters = append(e.waiters, ch)
	} else {
		e := &entry{key: key, body: body, waiters: []chan Result{ch}}
		b.live[key] = e
		if id, ok := b.opts.Journal.Lookup(b.opts.Backend.Provider(), b.opts.Model, key); ok && !b.ended[id] {
			b.attach(id, e)
		} else if in, ok := b.opts.Journal.LookupIntent(b.opts.Backend.Provider(), b.opts.Model, key); ok {
			b.attachIntent(in, e)
		} else {
			b.enqueue(e)
		}
	}
	b.mu.Unlock()
	select {
	case res := <-ch:
		return b.answer(&r, res, start)
	case <-ctx.Done():
		return nil, fmt.Errorf("batch %s: waiting for the job: %w", b.opts.Model, ctx.Err())
	}
}

// answer completes a result as the online client would: the model when
// the answer names none, estimated usage when it reports none.
func (b *Batcher) answer(req *provider.Request, res Result, start time.Time) (*provider.Response, error) {
	if res.Err != nil {
		return nil, res.Err
	}
	out := *res.Resp
	out.Finish(req, start)
	return &out, nil
}

// Stream implements provider.Provider; batch APIs do not stream.
func (b *Batcher) Stream(context.Context, *provider.Request) (provider.Stream, error) {
	return nil, apierr.New(apierr.Invalid, "batch %s: a batch API cannot stream", b.opts.Model)
}

// attach adds e to the watch of journaled job id, starting its polling.
// b.mu must be held.
func (b *Batcher) attach(id string, e *entry) {
	w, ok := b.watch[id]
	if !ok {
		w = &watch{id: id, entries: map[string]*entry{}}
		b.watch[id] = w
		b.opts.Logger.Info("batch: resuming a journaled job instead of submitting its requests again", "model", b.opts.Model, "job", id)
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			b.follow(w)
		}()
	}
	w.entries[e.key] = e
}

// enqueue adds e to the next job. b.mu must be held.
func (b *Batcher) enqueue(e *entry) {
	b.queue = append(b.queue, e)
	if len(b.queue) >= b.opts.MaxRequests {
		b.flush()
		return
	}
	b.kick(b.opts.Window)
}

func (b *Batcher) flushIdle() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.closed && len(b.queue) > 0 {
		b.flush()
	}
}

// flush submits the queue (up to MaxRequests) as one job. b.mu must be held.
func (b *Batcher) flush() {
	n := min(len(b.queue), b.opts.MaxRequests)
	entries := b.queue[:n:n]
	b.queue = append([]*entry(nil), b.queue[n:]...)
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		b.submit(entries)
	}()
	if len(b.queue) > 0 {
		b.kick(0)
	}
}

// kick (re)arms the flush timer. b.mu must be held.
func (b *Batcher) kick(d time.Duration) {
	if b.timer == nil {
		b.timer = time.AfterFunc(d, b.flushIdle)
		return
	}
	b.timer.Reset(d)
}

// submit creates a job for entries and follows it. The intent (name and
// keys) is journaled before the create call and the job id right after, so
// a crash in between is resolved by looking the name up (see resolve).
func (b *Batcher) submit(entries []*entry) {
	items := make([]Item, len(entries))
	keys := make([]string, len(entries))
	h := sha256.New()
	for i, e := range entries {
		items[i] = Item{Key: e.key, Body: e.body}
		keys[i] = e.key
		h.Write([]byte(e.key))
	}
	// Unique per submission: a requeued set of requests must not find the
	// job it left.
	name := fmt.Sprintf("llmrouter-%s-%s-%s", strings.ReplaceAll(b.opts.Model, "/", "-"),
		strconv.FormatInt(time.Now().UnixNano(), 36), hex.EncodeToString(h.Sum(nil)[:4]))
	prov := b.opts.Backend.Provider()
	log := b.opts.Logger.With("model", b.opts.Model, "requests", len(items), "name", name)
	if err := b.opts.Journal.Submitting(prov, b.opts.Model, name, keys); err != nil {
		b.settleAll(entries, Result{Err: fmt.Errorf("batch %s: %w", b.opts.Model, err)})
		return
	}
	w := &watch{id: name, entries: make(map[string]*entry, len(entries))}
	for _, e := range entries {
		w.entries[e.key] = e
	}
	job, err := b.opts.Backend.Submit(b.ctx, b.opts.Model, name, items)
	if err != nil {
		if b.ctx.Err() == nil && definite(err) {
			log.Error("batch: job refused", "err", err)
			if jerr := b.opts.Journal.Abandoned(name); jerr != nil {
				log.Warn("batch: could not journal the refusal", "err", jerr)
			}
			b.settleAll(entries, Result{Err: fmt.Errorf("submit batch job for %s: %w", b.opts.Model, err)})
			return
		}
		// The job may exist: look for it before submitting anything again.
		log.Warn("batch: job creation outcome unknown; looking the job up by name", "err", err)
		b.mu.Lock()
		b.intents[name] = w
		b.mu.Unlock()
		b.resolve(Intent{Provider: prov, Model: b.opts.Model, Name: name, Keys: keys}, w)
		return
	}
	if err := b.opts.Journal.Submitted(prov, b.opts.Model, name, job.ID, keys); err != nil {
		// The journal holds the intent: a rerun finds the job by name.
		log.Error("batch: job submitted but its id not journaled", "job", job.ID, "err", err)
		b.settleAll(entries, Result{Err: fmt.Errorf("batch job %s: %w", job.ID, err)})
		return
	}
	log.Info("batch: job submitted", "job", job.ID, "state", job.Raw)
	w.id = job.ID
	b.mu.Lock()
	b.watch[job.ID] = w
	b.mu.Unlock()
	b.status(job)
	b.follow(w)
}

// definite reports whether a failed create call surely created nothing:
// the API refused it. Transport errors, timeouts and server errors leave
// the outcome unknown.
func definite(err error) bool {
	switch apierr.CodeOf(err) {
	case apierr.UpstreamRejected, apierr.Invalid, apierr.NotFound, apierr.UpstreamRateLimited, apierr.TooLarge:
		return true
	}
	return false
}

// attachIntent adds e to the resolution of a journaled intent, starting
// it. b.mu must be held.
func (b *Batcher) attachIntent(in Intent, e *entry) {
	w, ok := b.intents[in.Name]
	if !ok {
		w = &watch{id: in.Name, entries: map[string]*entry{}}
		b.intents[in.Name] = w
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			b.resolve(in, w)
		}()
	}
	w.entries[e.key] = e
}

// resolve looks up the job of an intent by name: found, it is journaled
// and followed; not found, the intent is abandoned and its requests go
// into a new job.
func (b *Batcher) resolve(in Intent, w *watch) {
	var id string
	var found bool
	err := b.retry(func() (err error) {
		id, found, err = b.opts.Backend.Find(b.ctx, in.Model, in.Name)
		return err
	})
	if b.ctx.Err() != nil {
		return
	}
	b.mu.Lock()
	delete(b.intents, in.Name)
	switch {
	case err != nil:
		b.mu.Unlock()
		b.opts.Logger.Error("batch: could not look up a job whose creation was not confirmed", "model", b.opts.Model, "name", in.Name, "err", err)
		b.settleAll(values(w.entries), Result{Err: fmt.Errorf("batch %s: look up job %s: %w", b.opts.Model, in.Name, err)})
		return
	case !found:
		defer b.mu.Unlock()
		b.opts.Logger.Info("batch: the unconfirmed job was never created; submitting its requests", "model", b.opts.Model, "name", in.Name)
		if err := b.opts.Journal.Abandoned(in.Name); err != nil {
			b.opts.Logger.Warn("batch: could not journal the abandoned job", "name", in.Name, "err", err)
		}
		for _, e := range w.entries {
			if e.attempts++; e.attempts >= b.opts.Attempts {
				b.settle(e, Result{Err: apierr.New(apierr.UpstreamUnavailable, "batch %s: job creation failed %d times", b.opts.Model, e.attempts)})
				continue
			}
			b.enqueue(e)
		}
		return
	}
	// Journaled under b.mu, so a request arriving now finds the job id
	// and joins this watch.
	if err := b.opts.Journal.Submitted(in.Provider, in.Model, in.Name, id, in.Keys); err != nil {
		b.mu.Unlock()
		b.settleAll(values(w.entries), Result{Err: fmt.Errorf("batch job %s: %w", id, err)})
		return
	}
	b.opts.Logger.Info("batch: found the unconfirmed job; following it", "model", b.opts.Model, "name", in.Name, "job", id)
	w.id = id
	b.watch[id] = w
	b.mu.Unlock()
	b.follow(w)
}

// retry calls fn until it succeeds, fails for good, or has failed
// pollErrorLimit times in a row, waiting Poll between tries: a lookup or a
// download rides out the same transient errors a poll does.
func (b *Batcher) retry(fn func() error) error {
	for try := 1; ; try++ {
		err := fn()
		if err == nil || b.ctx.Err() != nil || !apierr.Retryable(err) || try >= pollErrorLimit || !sleep(b.ctx, b.opts.Poll) {
			return err
		}
	}
}

func values(m map[string]*entry) []*entry {
	out := make([]*entry, 0, len(m))
	for _, e := range m {
		out = append(out, e)
	}
	return out
}

func (b *Batcher) status(job Job) {
	if b.opts.OnStatus != nil {
		b.opts.OnStatus(b.opts.Model, job)
	}
}

// follow polls a job until it ends, then settles its entries.
func (b *Batcher) follow(w *watch) {
	var last Job
	fails := 0
	for first := true; ; first = false {
		if !first && !sleep(b.ctx, b.opts.Poll) {
			return
		}
		job, err := b.opts.Backend.Poll(b.ctx, w.id)
		if err != nil {
			if b.ctx.Err() != nil {
				return
			}
			if apierr.CodeOf(err) == apierr.NotFound {
				b.opts.Logger.Warn("batch: job not found; submitting its requests again", "model", b.opts.Model, "job", w.id, "err", err)
				if err := b.opts.Journal.Finished(w.id, Failed); err != nil {
					b.opts.Logger.Warn("batch: could not journal the job's end", "job", w.id, "err", err)
				}
				b.end(w, Job{ID: w.id, State: Failed}, nil, nil)
				return
			}
			if fails++; apierr.Retryable(err) && fails < pollErrorLimit {
				b.opts.Logger.Warn("batch: poll failed; retrying", "model", b.opts.Model, "job", w.id, "err", err)
				continue
			}
			b.end(w, job, nil, fmt.Errorf("poll batch job %s: %w", w.id, err))
			return
		}
		fails = 0
		if job.State != last.State || job.Counts != last.Counts {
			b.status(job)
		}
		last = job
		if job.State.Done() {
			b.finish(w, job)
			return
		}
	}
}

// finish fetches a finished job's results and settles its entries.
func (b *Batcher) finish(w *watch, job Job) {
	log := b.opts.Logger.With("model", b.opts.Model, "job", job.ID, "state", job.Raw)
	var results map[string]Result
	if job.State != Failed {
		err := b.retry(func() (err error) {
			results, err = b.opts.Backend.Results(b.ctx, job)
			return err
		})
		if err != nil {
			if b.ctx.Err() != nil {
				return
			}
			switch {
			case job.State != Succeeded:
				log.Warn("batch: no partial results from the unfinished job", "err", err)
			case apierr.CodeOf(err) == apierr.NotFound:
				// The results were deleted (providers keep them for days):
				// the requests can only be answered again.
				log.Warn("batch: the job's results are gone; its requests go into a new job", "err", err)
			default:
				b.end(w, job, nil, fmt.Errorf("results of batch job %s: %w", job.ID, err))
				return
			}
		}
	}
	switch job.State {
	case Failed:
		log.Error("batch: job failed", "message", job.Message)
	case Expired, Cancelled:
		log.Warn("batch: job ended before answering everything; unanswered requests go into a new job", "answered", len(results))
	default:
		log.Info("batch: job finished", "results", len(results))
	}
	if err := b.opts.Journal.Finished(job.ID, job.State); err != nil {
		log.Warn("batch: could not journal the job's end", "err", err)
	}
	var jobErr error
	if job.State == Failed {
		msg := job.Message
		if msg == "" {
			msg = "no reason given"
		}
		jobErr = apierr.New(apierr.UpstreamRejected, "batch job %s for %s failed: %s", job.ID, b.opts.Model, msg)
	}
	b.end(w, job, results, jobErr)
}

// end settles every entry of a finished job: answers are delivered,
// retryable failures go into the next job, the rest get their error.
func (b *Batcher) end(w *watch, job Job, results map[string]Result, jobErr error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.watch, w.id)
	b.ended[w.id] = true
	for k, res := range results {
		if _, asked := w.entries[k]; !asked && res.Err == nil {
			b.cache[k] = res
		}
	}
	requeued := 0
	for k, e := range w.entries {
		res, ok := results[k]
		switch {
		case jobErr != nil:
			b.settle(e, Result{Err: jobErr})
		case ok && (res.Err == nil || !apierr.Retryable(res.Err)):
			b.settle(e, res)
		default:
			if e.attempts++; e.attempts >= b.opts.Attempts {
				err := res.Err
				if err == nil {
					err = apierr.New(apierr.UpstreamUnavailable, "batch %s: request unanswered by job %s (%s)", b.opts.Model, job.ID, job.State)
				}
				b.settle(e, Result{Err: fmt.Errorf("after %d batch jobs: %w", e.attempts, err)})
				continue
			}
			if b.closed {
				b.settle(e, Result{Err: apierr.New(apierr.Unavailable, "batch %s: closed", b.opts.Model)})
				continue
			}
			requeued++
			b.enqueue(e)
		}
	}
	if requeued > 0 {
		b.opts.Logger.Warn("batch: requests requeued for a new job", "model", b.opts.Model, "job", w.id, "state", job.State, "requests", requeued)
	}
}

// settle delivers res to e's callers. b.mu must be held.
func (b *Batcher) settle(e *entry, res Result) {
	for _, ch := range e.waiters {
		ch <- res
	}
	e.waiters = nil
	delete(b.live, e.key)
}

func (b *Batcher) settleAll(entries []*entry, res Result) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range entries {
		b.settle(e, res)
	}
}

// Close stops polling; callers still waiting get an error. Jobs keep
// running upstream and a new Batcher over the same journal resumes them.
func (b *Batcher) Close() {
	b.mu.Lock()
	b.closed = true
	if b.timer != nil {
		b.timer.Stop()
	}
	b.mu.Unlock()
	b.cancel()
	b.wg.Wait()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.live {
		b.settle(e, Result{Err: apierr.New(apierr.Unavailable, "batch %s: closed before the job finished; rerun to resume it", b.opts.Model)})
	}
	b.queue = nil
}

// sleep waits d and reports false if ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	return provider.SleepContext(ctx, d) == nil
}
