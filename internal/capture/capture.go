// Package capture appends the gateway's answered requests to a JSON Lines
// file, so a team can build an oracle dataset from its own traffic.
//
// Add never blocks the request path: it appends the row to a queue
// bounded in rows and bytes, under a mutex held for the append only, and one background
// goroutine takes the whole queue every flush interval (or as soon as a
// batch's worth waits), redacts, encodes and writes it with one write,
// rotating the file by size. Handing rows over through a channel instead
// would wake that goroutine for every request. A row that finds the queue
// full is dropped and counted; a failed write (full disk,
// unwritable path) is logged at most once a minute, counted, and retried
// on the next batch, never failing a request.
package capture

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"regexp"
	"sync"
	"sync/atomic"
	"time"
)

// Row is one captured request, in the format oracle --input-file reads.
type Row struct {
	// ID is the gateway's request id.
	ID   string
	Time time.Time
	// Query is the routed text: what the router scored.
	Query string
	// Messages is the conversation's text, written only with
	// conversation: full.
	Messages []Message
	// Model is the model that answered.
	Model  string
	Policy string
	// Score is the router's score; nil when the request was not scored.
	Score *float64
	// KeyID is the gateway key's configured id, never the key.
	KeyID string
	// RouterVersion is the loaded router model's training-data sha256.
	RouterVersion string
}

// Message is one turn's text; media parts are placeholders like "[image]".
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Source marks rows written by capture.
const Source = "captured"

// timeLayout is RFC 3339 in UTC with milliseconds, like 2026-12-04T22:50:00.123Z.
const timeLayout = "2006-01-02T15:04:05.000Z07:00"

// batchRows is how many waiting rows trigger a write before the interval.
const batchRows = 256

// batchBytes likewise: a few long conversations make a batch.
const batchBytes = 1 << 20

// maxQueueBytes bounds the text waiting in memory, whatever queue_size
// says: with conversation: full a row can hold megabytes.
const maxQueueBytes = 64 << 20

// rowOverhead approximates a row's fixed fields and JSON syntax.
const rowOverhead = 160

// logEvery bounds write-error logging: a full disk fails every batch.
const logEvery = time.Minute

// Stats are the writer's counters since New.
type Stats struct {
	// Written rows reached the file.
	Written uint64
	// Dropped rows found the queue full (or the writer closed).
	Dropped uint64
	// SampledOut rows were not kept by sample_rate.
	SampledOut uint64
	// Failed rows were lost to write errors.
	Failed uint64
	// WriteErrors counts failed attempts to open, rotate or write.
	WriteErrors uint64
	// Rotations counts files rotated by size.
	Rotations uint64
	// Batches counts successful writes (one per batch).
	Batches uint64
}

// Writer is the capture writer. Add is safe for concurrent use.
type Writer struct {
	cfg      Config
	log      *slog.Logger
	redact   []*regexp.Regexp
	keepAll  bool
	keepBits uint64 // keep a row when hash(id) < keepBits
	maxBytes int64

	mu      sync.Mutex
	queue   []Row // rows waiting, at most cfg.QueueSize
	qbytes  int   // their approximate size, at most maxBytesQueued
	closing bool
	// maxBytesQueued is maxQueueBytes (tests lower it).
	maxBytesQueued int
	// kick wakes the loop when kickAt rows or batchBytes wait (capacity 1).
	kick      chan struct{}
	kickAt    int
	done      chan struct{}
	exited    chan struct{}
	closeOnce sync.Once
	closeErr  error // set by the loop before exited closes

	written, dropped, sampledOut, failed, writeErrors, rotations, batches atomic.Uint64

	file file   // owned by the loop goroutine
	out  []byte // the batch being encoded
	// Rate limit for write-error logs (loop goroutine only).
	lastLog    time.Time
	suppressed int
}

// New validates cfg and starts the writer. The file is opened with the
// first batch, so an unwritable path is reported (and counted) then, not
// here: capture must never stop the gateway from starting.
func New(cfg Config, log *slog.Logger) (*Writer, error) {
	w, err := newWriter(cfg, log)
	if err != nil {
		return nil, err
	}
	go w.run()
	return w, nil
}

// newWriter builds a writer without starting its loop.
func newWriter(cfg Config, log *slog.Logger) (*Writer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Path == "" {
		return nil, errors.New("capture.path: is required")
	}
	cfg = cfg.withDefaults()
	redact, err := compileRedact(cfg.Redact)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	w := &Writer{
		cfg: cfg, log: log, redact: redact,
		maxBytes: int64(cfg.MaxSizeMB) << 20,
		kick:     make(chan struct{}, 1),
		kickAt:   min(batchRows, cfg.QueueSize),
		done:     make(chan struct{}),
		exited:   make(chan struct{}),
	}
	w.maxBytesQueued = maxQueueBytes
	w.file = file{path: cfg.Path, log: log}
	w.keepAll, w.keepBits = sampleBits(*cfg.SampleRate)
	return w, nil
}

// sampleBits turns a rate into a cut-off on a 64-bit hash.
func sampleBits(rate float64) (all bool, bits uint64) {
	f := math.Ldexp(rate, 64)
	if rate >= 1 || f >= math.Ldexp(1, 64) {
		return true, 0
	}
	return false, uint64(f)
}

// Sampled reports whether sample_rate keeps the request with this id; the
// same id always gets the same answer.
func (w *Writer) Sampled(id string) bool {
	return w.keepAll || hashID(id) < w.keepBits
}

// hashID is FNV-1a, inlined to hash a string without allocating, then
// murmur3's finaliser: FNV's top bits, which the cut-off compares, barely
// move when ids differ only in their last characters.
func hashID(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// Add queues r for writing, or drops and counts it when the queue is full
// or sample_rate leaves it out. It never blocks. A nil Writer ignores it.
func (w *Writer) Add(r Row) {
	if w == nil {
		return
	}
	if !w.Sampled(r.ID) {
		w.sampledOut.Add(1)
		return
	}
	size := rowSize(&r)
	w.mu.Lock()
	if w.closing || len(w.queue) >= w.cfg.QueueSize || w.qbytes+size > w.maxBytesQueued {
		w.mu.Unlock()
		w.dropped.Add(1)
		return
	}
	w.queue = append(w.queue, r)
	n, before := len(w.queue), w.qbytes
	w.qbytes += size
	w.mu.Unlock()
	if n == w.kickAt || before < batchBytes && before+size >= batchBytes {
		select {
		case w.kick <- struct{}{}:
		default: // the loop has been woken already
		}
	}
}

// take empties the queue into batch (reused between calls).
func (w *Writer) take(batch []Row) []Row {
	w.mu.Lock()
	defer w.mu.Unlock()
	batch, w.queue = w.queue, batch[:0]
	w.qbytes = 0
	return batch
}

// rowSize approximates r's encoded size.
func rowSize(r *Row) int {
	n := rowOverhead + len(r.ID) + len(r.Query) + len(r.Model) + len(r.Policy) + len(r.KeyID) + len(r.RouterVersion)
	for _, m := range r.Messages {
		n += 32 + len(m.Role) + len(m.Content)
	}
	return n
}

// Stats returns the counters.
func (w *Writer) Stats() Stats {
	return Stats{
		Written: w.written.Load(), Dropped: w.dropped.Load(), SampledOut: w.sampledOut.Load(),
		Failed: w.failed.Load(), WriteErrors: w.writeErrors.Load(), Rotations: w.rotations.Load(),
		Batches: w.batches.Load(),
	}
}

// Close writes the rows already queued, syncs and closes the file. Call
// it after the gateway has stopped serving; rows added later are dropped.
// It returns an error when those last rows could not be written.
func (w *Writer) Close(ctx context.Context) error {
	w.closeOnce.Do(func() {
		w.mu.Lock()
		w.closing = true
		w.mu.Unlock()
		close(w.done)
	})
	select {
	case <-w.exited:
		return w.closeErr
	case <-ctx.Done():
		return fmt.Errorf("capture: close %s: %w", w.cfg.Path, ctx.Err())
	}
}

// run is the writer's goroutine: every flush interval, or when a batch's
// worth of rows waits, it takes the queue and writes it.
func (w *Writer) run() {
	defer close(w.exited)
	tick := time.NewTicker(w.cfg.FlushInterval)
	defer tick.Stop()
	var batch []Row
	flush := func() error {
		batch = w.take(batch)
		if len(batch) == 0 {
			return nil
		}
		err := w.flush(batch)
		clear(batch) // let the strings go
		return err
	}
	for {
		select {
		case <-w.kick:
			_ = flush()
		case <-tick.C:
			_ = flush()
		case <-w.done:
			// Add drops rows once closing is set, so this is the last.
			w.closeErr = errors.Join(flush(), w.file.close())
			return
		}
	}
}

// flush redacts, encodes and writes one batch with a single write.
func (w *Writer) flush(batch []Row) error {
	w.out = w.out[:0]
	for i := range batch {
		w.out = w.appendRow(w.out, &batch[i])
	}
	n := len(batch)
	err := w.file.append(w.out, w.maxBytes, w.cfg.MaxFiles, &w.rotations)
	if cap(w.out) > 4*batchBytes {
		w.out = nil // a batch of long conversations: give it back
	}
	if err != nil {
		w.writeErrors.Add(1)
		w.failed.Add(uint64(n))
		w.logFailure(n, err)
		return fmt.Errorf("capture: %d rows lost: %w", n, err)
	}
	w.written.Add(uint64(n))
	w.batches.Add(1)
	return nil
}

// scrub applies the redact patterns.
func (w *Writer) scrub(s string) string {
	for _, re := range w.redact {
		s = re.ReplaceAllLiteralString(s, Redacted)
	}
	return s
}

// logFailure logs a write error at most once per logEvery, with how many
// were not logged since.
func (w *Writer) logFailure(rows int, err error) {
	now := time.Now()
	if !w.lastLog.IsZero() && now.Sub(w.lastLog) < logEvery {
		w.suppressed++
		return
	}
	w.log.Error("capture: could not write rows; they are dropped and the file is retried with the next batch",
		"path", w.cfg.Path, "rows", rows, "errors_not_logged", w.suppressed, "error", err)
	w.lastLog, w.suppressed = now, 0
}
