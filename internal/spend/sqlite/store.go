// Package sqlite is the spend.Store on an embedded SQLite database
// (modernc.org/sqlite, pure Go, no cgo).
//
// Durability: the database runs in WAL mode with synchronous=NORMAL. A
// commit appends to the write-ahead log; the log is fsynced at checkpoints.
// A process crash (the gateway killed, OOM) loses nothing that Record
// acknowledged, since the WAL is in the OS page cache; only a power loss or
// kernel crash can drop the last transactions since the previous
// checkpoint, and it never corrupts the file. That trade saves one fsync
// per request. Set Options.Synchronous to "FULL" to fsync every commit.
//
// Throughput: concurrent Record calls are group-committed: one writer
// goroutine inserts whatever is queued in one transaction, then answers
// every caller, so each request still waits for its own commit.
//
// Enqueue is the gateway's path: it hands the record to the same writer
// without waiting for the commit, so a request's connection is free as soon
// as its answer is sent. The queue is bounded (Enqueue blocks when it is
// full rather than drop a record), Close commits everything queued, and a
// batch that cannot be written is retried and then logged record by record,
// so no record is ever lost without a trace. What Enqueue gives up is only
// crash durability of the last few milliseconds of records.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/llmrouter/llmrouter/internal/spend"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Options tunes Open. The zero value is right for the gateway.
type Options struct {
	// Synchronous is NORMAL (default) or FULL.
	Synchronous string
	// Logger receives writer errors; nil discards them.
	Logger *slog.Logger
	// MustExist makes Open fail if the file is missing (readers such as
	// "llmrouter usage" should not create an empty database).
	MustExist bool
}

// Store is a spend.Store and spend.Totaler backed by one SQLite file.
type Store struct {
	db   *sql.DB
	path string
	log  *slog.Logger

	mu     sync.RWMutex // guards closed against sends on queue
	closed bool
	queue  chan pending
	done   chan struct{}
	// lost counts Enqueued records that could not be written (logged).
	lost atomic.Int64
}

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
	maxBatch = 1024
	// queueSize bounds the records waiting for the writer: a few seconds
	// of traffic at thousands of requests per second, tens of MB at most.
	queueSize = 16384
	// asyncRetries is how often a batch of Enqueued records is retried
	// (SQLITE_BUSY from another process, a transient I/O error) before its
	// records are logged as lost.
	asyncRetries = 3
	// asyncLinger is how long Enqueued records may wait for company
	// before their batch is committed. It is also the most traffic a
	// crash of the process can lose from the spend log (budget counters
	// are separate); 50 ms keeps that small while making transactions,
	// which cost far more than inserts, rare: at 1,000 req/s the writer
	// used 5% of a core with 10 ms and about 1% with 50 ms.
	asyncLinger = 50 * time.Millisecond
)

// Open opens (creating if needed, unless MustExist) and migrates the
// database at path.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if path == "" {
		return nil, errors.New("spend database path is empty")
	}
	if opts.MustExist {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("spend database %s: %w", path, err)
		}
	} else if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("spend database %s: %w", path, err)
		}
	}
	sync := "NORMAL"
	if opts.Synchronous != "" {
		sync = opts.Synchronous
	}
	if sync != "NORMAL" && sync != "FULL" {
		return nil, fmt.Errorf("spend database: synchronous must be NORMAL or FULL, got %q", opts.Synchronous)
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous("+sync+")")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("spend database %s: %w", path, err)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Store{db: db, path: path, log: log, queue: make(chan pending, queueSize), done: make(chan struct{})}
	if err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("spend database %s: %w", path, err)
	}
	go s.writer()
	return s, nil
}

// migrations[i] upgrades schema version i to i+1 (PRAGMA user_version).
var migrations = []string{
	`CREATE TABLE requests (
		id              INTEGER PRIMARY KEY,
		ts_ms           INTEGER NOT NULL,
		day             TEXT    NOT NULL,
		request_id      TEXT    NOT NULL,
		key_id          TEXT    NOT NULL,
		model           TEXT    NOT NULL,
		policy          TEXT    NOT NULL,
		rule            TEXT    NOT NULL,
		input_tokens    INTEGER NOT NULL,
		output_tokens   INTEGER NOT NULL,
		thinking_tokens INTEGER NOT NULL,
		estimated       INTEGER NOT NULL,
		cost_nanos      INTEGER NOT NULL,
		status          TEXT    NOT NULL,
		latency_ms      INTEGER NOT NULL
	);
	CREATE INDEX requests_ts ON requests(ts_ms);
	CREATE INDEX requests_key_ts ON requests(key_id, ts_ms);`,
	// Version 2: cascade routing. Defaults fill the rows written before,
	// which were all plain requests.
	`ALTER TABLE requests ADD COLUMN cascade TEXT NOT NULL DEFAULT '';
	ALTER TABLE requests ADD COLUMN cascade_step TEXT NOT NULL DEFAULT '';`,
}

func migrate(ctx context.Context, db *sql.DB) error {
	var v int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if v > len(migrations) {
		return fmt.Errorf("schema version %d is newer than this llmrouter understands (%d)", v, len(migrations))
	}
	for ; v < len(migrations); v++ {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migrate to version %d: %w", v+1, err)
		}
		if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate to version %d: %w", v+1, err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate to version %d: %w", v+1, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migrate to version %d: %w", v+1, err)
		}
	}
	return nil
}

// Record implements spend.Store. Once queued, the write completes even if
// ctx is cancelled: a request that was served must be charged.
func (s *Store) Record(ctx context.Context, r spend.Record) error {
	p := pending{rec: normalize(r), errc: make(chan error, 1)}
	if err := s.send(ctx, p); err != nil {
		return err
	}
	return <-p.errc
}

// Enqueue queues r for the writer and returns without waiting for its
// commit. It blocks only while the queue is full (or until ctx ends), so
// records are never dropped to keep up. An error means r was not queued;
// after a nil return, r is committed by the writer or by Close, or logged
// as lost if the database keeps failing (see Lost).
func (s *Store) Enqueue(ctx context.Context, r spend.Record) error {
	return s.send(ctx, pending{rec: normalize(r)})
}

// Flush waits until every record queued before the call is committed (or
// logged as lost), so a reader opening the database sees them.
func (s *Store) Flush(ctx context.Context) error {
	p := pending{errc: make(chan error, 1), barrier: true}
	if err := s.send(ctx, p); errors.Is(err, errClosed) {
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
func (s *Store) Lost() int64 { return s.lost.Load() }

var errClosed = errors.New("spend database is closed")

func normalize(r spend.Record) spend.Record {
	if r.Time.IsZero() {
		r.Time = time.Now()
	}
	if r.KeyID == "" {
		r.KeyID = spend.Anonymous
	}
	return r
}

func (s *Store) send(ctx context.Context, p pending) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return errClosed
	}
	select {
	case s.queue <- p:
		return nil
	default:
	}
	select {
	case s.queue <- p:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// writer group-commits queued records until the queue closes. A batch
// of Enqueued records only (nobody waiting on it) lingers up to
// asyncLinger for more: at a few thousand requests per second that turns
// one transaction per handful of records into one per dozens, and each
// transaction costs far more than an insert.
func (s *Store) writer() {
	defer close(s.done)
	linger := time.NewTimer(time.Hour)
	linger.Stop()
	batch := make([]pending, 0, maxBatch)
	for first := range s.queue {
		batch = append(batch[:0], first)
		open := s.drain(&batch)
		if open && len(batch) < maxBatch && !waited(batch) {
			linger.Reset(asyncLinger)
		wait:
			for len(batch) < maxBatch {
				select {
				case p, ok := <-s.queue:
					if !ok {
						break wait
					}
					batch = append(batch, p)
					if p.errc != nil {
						s.drain(&batch)
						break wait // someone is waiting: commit now
					}
				case <-linger.C:
					break wait
				}
			}
			linger.Stop()
		}
		s.commit(batch)
		clear(batch) // drop references to committed records
	}
}

// drain appends what is queued without waiting; false once the queue is
// closed.
func (s *Store) drain(batch *[]pending) bool {
	for len(*batch) < maxBatch {
		select {
		case p, ok := <-s.queue:
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
func (s *Store) commit(batch []pending) {
	err := s.insert(batch)
	for try := 0; err != nil && try < asyncRetries && hasAsync(batch); try++ {
		s.log.Warn("spend: write records failed, retrying", "path", s.path, "records", len(batch), "err", err)
		time.Sleep(time.Duration(50<<try) * time.Millisecond)
		err = s.insert(batch)
	}
	if err != nil {
		s.log.Error("spend: write records", "path", s.path, "records", len(batch), "err", err)
	}
	for _, p := range batch {
		if p.errc != nil {
			p.errc <- err
			continue
		}
		if err != nil {
			s.lost.Add(1)
			r := p.rec
			s.log.Error("spend: record lost", "request_id", r.RequestID, "key_id", r.KeyID, "model", r.Model,
				"time", r.Time, "input_tokens", r.InputTokens, "output_tokens", r.OutputTokens,
				"thinking_tokens", r.ThinkingTokens, "cost_usd", r.CostUSD, "status", r.Status)
		}
	}
}

func hasAsync(batch []pending) bool {
	for _, p := range batch {
		if p.errc == nil && !p.barrier {
			return true
		}
	}
	return false
}

const insertSQL = `INSERT INTO requests (ts_ms, day, request_id, key_id, model, policy, rule,
	input_tokens, output_tokens, thinking_tokens, estimated, cost_nanos, status, latency_ms, cascade, cascade_step)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

func (s *Store) insert(batch []pending) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("spend database %s: %w", s.path, err)
	}
	defer tx.Rollback()
	st, err := tx.PrepareContext(ctx, insertSQL)
	if err != nil {
		return fmt.Errorf("spend database %s: %w", s.path, err)
	}
	defer st.Close()
	for _, p := range batch {
		if p.barrier {
			continue
		}
		r := p.rec
		t := r.Time.UTC()
		est := 0
		if r.Estimated {
			est = 1
		}
		if _, err := st.ExecContext(ctx, t.UnixMilli(), t.Format("2006-01-02"), r.RequestID, r.KeyID, r.Model, r.Policy, r.Rule,
			r.InputTokens, r.OutputTokens, r.ThinkingTokens, est, spend.Nanos(r.CostUSD), r.Status, r.LatencyMS, r.Cascade, r.CascadeStep); err != nil {
			return fmt.Errorf("spend database %s: insert: %w", s.path, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("spend database %s: commit: %w", s.path, err)
	}
	return nil
}

// Close flushes queued records and closes the database.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.queue)
	s.mu.Unlock()
	<-s.done
	return s.db.Close()
}

var (
	_ spend.Store   = (*Store)(nil)
	_ spend.Totaler = (*Store)(nil)
)
