// Package sqlite is the spend.Store on an embedded SQLite database
// (modernc.org/sqlite, pure Go, no cgo), the default store.
//
// Durability: the database runs in WAL mode with synchronous=NORMAL. A
// commit appends to the write-ahead log; the log is fsynced at checkpoints.
// A process crash (the gateway killed, OOM) loses nothing that Record
// acknowledged, since the WAL is in the OS page cache; only a power loss or
// kernel crash can drop the last transactions since the previous
// checkpoint, and it never corrupts the file. That trade saves one fsync
// per request. Set Options.Synchronous to "FULL" to fsync every commit.
//
// Writes go through spendsql.Writer: Record waits for its group commit,
// Enqueue (the gateway's path) does not, and gives up only crash
// durability of the last spendsql.Linger (50 ms) of records. Each batch
// writes its raw rows and updates the hourly and daily roll-ups in one
// transaction; see package spendsql for the layout, reports and pruning.
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
	"time"

	"github.com/llmrouter/llmrouter/internal/spend"
	"github.com/llmrouter/llmrouter/internal/spend/spendsql"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Options tunes Open. The zero value is right for a reader; the gateway
// also sets Retention.
type Options struct {
	// Synchronous is NORMAL (default) or FULL.
	Synchronous string
	// Logger receives writer and pruner errors; nil discards them.
	Logger *slog.Logger
	// MustExist makes Open fail if the file is missing (readers such as
	// "llmrouter usage" should not create an empty database).
	MustExist bool
	// Retention is how long raw records and hourly roll-ups are kept; a
	// background pruner deletes older ones every PruneInterval. Zero keeps
	// everything and runs no pruner. Daily roll-ups are kept forever.
	Retention time.Duration
	// PruneInterval is how often the pruner runs (default 1h).
	PruneInterval time.Duration
	// Prune tunes the pruner's batches.
	Prune spendsql.PruneOptions
}

// Store is a spend.Store, spend.Reporter and spend.Totaler backed by one
// SQLite file.
type Store struct {
	*spendsql.Writer
	db     *sql.DB
	path   string
	opts   Options
	pruner *spendsql.Pruner
}

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
	if opts.Retention < 0 {
		return nil, fmt.Errorf("spend database: retention must be >= 0, got %v", opts.Retention)
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
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("spend database %s: %w", path, err)
	}
	s := &Store{db: db, path: path, opts: opts}
	s.Writer = spendsql.NewWriter(s.insert, opts.Logger, path)
	if opts.Retention > 0 {
		s.pruner = spendsql.StartPruner(opts.PruneInterval, s.Prune, opts.Logger, path)
	}
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
	// Version 3: the baseline cost, roll-ups and retention. Rows written
	// before hold their own cost as baseline: no savings are claimed for
	// them. The roll-ups start from every row already there.
	`ALTER TABLE requests ADD COLUMN baseline_nanos INTEGER NOT NULL DEFAULT 0;
	UPDATE requests SET baseline_nanos = cost_nanos;
	` + spendsql.RollupDDL(spendsql.HourTable) + `;
	` + spendsql.RollupDDL(spendsql.DayTable) + `;
	` + spendsql.BackfillSQL(spendsql.HourTable, spendsql.HourMS) + `;
	` + spendsql.BackfillSQL(spendsql.DayTable, spendsql.DayMS) + `;
	` + spendsql.MetaDDL + `;`,
	// Version 4: which router version routed each request and whether its
	// query was out of the router's training distribution. Rows written
	// before recorded neither: they count as not routed. drift is NULL
	// when it was not scored.
	`ALTER TABLE requests ADD COLUMN router_version TEXT NOT NULL DEFAULT '';
	ALTER TABLE requests ADD COLUMN drift REAL;
	ALTER TABLE requests ADD COLUMN ood INTEGER NOT NULL DEFAULT 0;
	` + spendsql.RoutingRollupDDL() + `;
	` + spendsql.VersionDDL + `;`,
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

const insertSQL = `INSERT INTO requests (ts_ms, day, request_id, key_id, model, policy, rule,
	input_tokens, output_tokens, thinking_tokens, estimated, cost_nanos, status, latency_ms, cascade, cascade_step, baseline_nanos,
	router_version, drift, ood)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// insert writes one batch's raw rows and its roll-up deltas in one
// transaction, so the roll-ups always agree with the raw rows.
func (s *Store) insert(ctx context.Context, recs []spend.Record) error {
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
	for _, r := range recs {
		t := r.Time.UTC()
		if _, err := st.ExecContext(ctx, t.UnixMilli(), t.Format("2006-01-02"), r.RequestID, r.KeyID, r.Model, r.Policy, r.Rule,
			r.InputTokens, r.OutputTokens, r.ThinkingTokens, bit(r.Estimated), spend.Nanos(r.CostUSD), r.Status, r.LatencyMS, r.Cascade, r.CascadeStep,
			spend.Nanos(r.BaselineCostUSD), r.RouterVersion, spendsql.Drift(r), bit(spendsql.OOD(r))); err != nil {
			return fmt.Errorf("spend database %s: insert: %w", s.path, err)
		}
	}
	for _, u := range spendsql.Upserts(spendsql.SQLite, recs) {
		if err := upsert(ctx, tx, u); err != nil {
			return fmt.Errorf("spend database %s: roll up: %w", s.path, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("spend database %s: commit: %w", s.path, err)
	}
	return nil
}

// upsert runs one roll-up's statement for each row it changes.
func upsert(ctx context.Context, tx *sql.Tx, u spendsql.Upsert) error {
	st, err := tx.PrepareContext(ctx, u.SQL)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, args := range u.Args {
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}

// bit is a boolean as SQLite stores it.
func bit(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Prune deletes raw records and hourly roll-ups older than the retention
// as of now, in small batches (Options.Prune); daily roll-ups stay, so
// reports give the same totals after. Zero retention prunes nothing.
func (s *Store) Prune(ctx context.Context, now time.Time) (int64, error) {
	if s.opts.Retention <= 0 {
		return 0, nil
	}
	n, err := spendsql.Prune(ctx, spendsql.DB(s.db), spendsql.SQLite, spendsql.Horizon(now, s.opts.Retention), s.opts.Prune)
	if err != nil {
		return n, fmt.Errorf("spend database %s: %w", s.path, err)
	}
	return n, nil
}

// Close stops the pruner, commits queued records and closes the database.
func (s *Store) Close() error {
	s.pruner.Stop()
	s.Writer.Close()
	return s.db.Close()
}

var (
	_ spend.Store           = (*Store)(nil)
	_ spend.Reporter        = (*Store)(nil)
	_ spend.Totaler         = (*Store)(nil)
	_ spend.VersionReporter = (*Store)(nil)
)

// Ping checks the database answers (the gateway's readiness probe).
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite %s: %w", s.path, err)
	}
	return nil
}
