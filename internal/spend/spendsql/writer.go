package spendsql

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/llmrouter/llmrouter/internal/spend"
)

// Writer group-commits records through one goroutine, for both stores.
//
// Concurrent Record calls are group-committed: the writer inserts whatever
// is queued in one transaction, then answers every caller, so each request
// still waits for its own commit.
//
// Enqueue is the gateway's path: it hands the record to the same writer
// without waiting for the commit, so a request's connection is free as soon
// as its answer is sent. The queue is bounded (Enqueue blocks when it is
// full rather than drop a record), Close commits everything queued, and a
// batch that cannot be written is retried and then logged record by record,
// so no record is ever lost without a trace. What Enqueue gives up is only
// crash durability of the last Linger of records.
type Writer struct {
	insert InsertFunc
	log    *slog.Logger
	name   string // the store, in log lines; never a URL with a password

	mu     sync.RWMutex // guards closed against sends on queue
	closed bool
	queue  chan pending
	done   chan struct{}
	lost   atomic.Int64
}

// InsertFunc writes one batch (raw rows and roll-ups) in one transaction.
type InsertFunc func(ctx context.Context, recs []spend.Record) error

// pending is one queued record; errc is nil for Enqueue, whose failures
// the writer logs instead of returning.
type pending struct {
	rec  spend.Record
	errc chan error
	// barrier carries no record: it is answered once everything queued
	// before it is committed (Flush).
	barrier bool
}

const (
	// MaxBatch is the most records one transaction writes.
	MaxBatch = 1024
	// queueSize bounds the records waiting for the writer: a few seconds
	// of traffic at thousands of requests per second, tens of MB at most.
	queueSize = 16384
	// asyncRetries is how often a batch of Enqueued records is retried
	// (a busy database, a transient I/O or network error) before its
	// records are logged as lost.
	asyncRetries = 3
	// Linger is how long Enqueued records may wait for company before
	// their batch is committed. It is also the most traffic a crash of
	// the process can lose from the spend log (budget counters are
	// separate); 50 ms keeps that small while making transactions, which
	// cost far more than inserts, rare: at 1,000 req/s the SQLite writer
	// used 5% of a core with 10 ms and about 1% with 50 ms.
	Linger = 50 * time.Millisecond
)

// ErrClosed is returned by sends after Close.
var ErrClosed = errors.New("spend store is closed")

// NewWriter starts the writer goroutine; Close stops it.
func NewWriter(insert InsertFunc, log *slog.Logger, name string) *Writer {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	w := &Writer{insert: insert, log: log, name: name, queue: make(chan pending, queueSize), done: make(chan struct{})}
	go w.run()
	return w
}

// Record queues r and waits for its commit. Once queued, the write
// completes even if ctx is cancelled: a request that was served must be
// charged.
func (w *Writer) Record(ctx context.Context, r spend.Record) error {
	p := pending{rec: normalize(r), errc: make(chan error, 1)}
	if err := w.send(ctx, p); err != nil {
		return err
	}
	return <-p.errc
}

// Enqueue queues r for the writer and returns without waiting for its
// commit. It blocks only while the queue is full (or until ctx ends), so
// records are never dropped to keep up. An error means r was not queued;
// after a nil return, r is committed by the writer or by Close, or logged
// as lost if the database keeps failing (see Lost).
func (w *Writer) Enqueue(ctx context.Context, r spend.Record) error {
	return w.send(ctx, pending{rec: normalize(r)})
}

// Flush waits until every record queued before the call is committed (or
// logged as lost), so a reader sees them.
func (w *Writer) Flush(ctx context.Context) error {
	p := pending{errc: make(chan error, 1), barrier: true}
	if err := w.send(ctx, p); errors.Is(err, ErrClosed) {
		return nil // Close has committed everything
	} else if err != nil {
		return err
	}
	select {
	case err := <-p.errc:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Lost is the number of Enqueued records the writer could not commit.
func (w *Writer) Lost() int64 { return w.lost.Load() }

// Close commits everything queued and stops the writer. It is idempotent.
func (w *Writer) Close() {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.queue)
	}
	w.mu.Unlock()
	<-w.done
}

func normalize(r spend.Record) spend.Record {
	if r.Time.IsZero() {
		r.Time = time.Now()
	}
	if r.KeyID == "" {
		r.KeyID = spend.Anonymous
	}
	return r
}

func (w *Writer) send(ctx context.Context, p pending) error {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		return ErrClosed
	}
	select {
	case w.queue <- p:
		return nil
	default:
	}
	select {
	case w.queue <- p:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run group-commits queued records until the queue closes. A batch of
// Enqueued records only (nobody waiting on it) lingers up to Linger for
// more: at a few thousand requests per second that turns one transaction
// per handful of records into one per dozens.
func (w *Writer) run() {
	defer close(w.done)
	linger := time.NewTimer(time.Hour)
	linger.Stop()
	batch := make([]pending, 0, MaxBatch)
	for first := range w.queue {
		batch = append(batch[:0], first)
		open := w.drain(&batch)
		if open && len(batch) < MaxBatch && !waited(batch) {
			linger.Reset(Linger)
		wait:
			for len(batch) < MaxBatch {
				select {
				case p, ok := <-w.queue:
					if !ok {
						break wait
					}
					batch = append(batch, p)
					if p.errc != nil {
						w.drain(&batch)
						break wait // someone is waiting: commit now
					}
				case <-linger.C:
					break wait
				}
			}
			linger.Stop()
		}
		w.commit(batch)
		clear(batch) // drop references to committed records
	}
}

// drain appends what is queued without waiting; false once the queue is
// closed.
func (w *Writer) drain(batch *[]pending) bool {
	for len(*batch) < MaxBatch {
		select {
		case p, ok := <-w.queue:
			if !ok {
				return false
			}
			*batch = append(*batch, p)
		default:
			return true
		}
	}
	return true
}

// waited reports whether a caller is blocked on this batch (Record, Flush).
func waited(batch []pending) bool {
	for _, p := range batch {
		if p.errc != nil {
			return true
		}
	}
	return false
}

// commit writes one batch and answers its callers. Enqueued records have
// no caller to retry for them, so their batch is retried here, and what
// still fails is logged one record per line: enough to charge it by hand.
func (w *Writer) commit(batch []pending) {
	recs := make([]spend.Record, 0, len(batch))
	for _, p := range batch {
		if !p.barrier {
			recs = append(recs, p.rec)
		}
	}
	var err error
	if len(recs) > 0 {
		err = w.write(recs)
		for try := 0; err != nil && try < asyncRetries && hasAsync(batch); try++ {
			w.log.Warn("spend: write records failed, retrying", "store", w.name, "records", len(recs), "err", err)
			time.Sleep(time.Duration(50<<try) * time.Millisecond)
			err = w.write(recs)
		}
		if err != nil {
			w.log.Error("spend: write records", "store", w.name, "records", len(recs), "err", err)
		}
	}
	for _, p := range batch {
		if p.errc != nil {
			p.errc <- err
			continue
		}
		if err != nil {
			w.lost.Add(1)
			r := p.rec
			w.log.Error("spend: record lost", "request_id", r.RequestID, "key_id", r.KeyID, "model", r.Model,
				"time", r.Time, "input_tokens", r.InputTokens, "output_tokens", r.OutputTokens,
				"thinking_tokens", r.ThinkingTokens, "cost_usd", r.CostUSD, "status", r.Status)
		}
	}
}

func (w *Writer) write(recs []spend.Record) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return w.insert(ctx, recs)
}

func hasAsync(batch []pending) bool {
	for _, p := range batch {
		if p.errc == nil && !p.barrier {
			return true
		}
	}
	return false
}
