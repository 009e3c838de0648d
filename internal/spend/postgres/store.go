// Package postgres is the spend.Store on PostgreSQL (github.com/jackc/pgx),
// so several gateway replicas keep one spend log: "llmrouter usage" and the
// dashboard on any replica see every replica's traffic.
//
// It writes the same records as the SQLite store, through the same
// batching writer (spendsql.Writer): Record waits for its group commit;
// Enqueue, the gateway's path, does not, so a replica that crashes loses
// at most the last spendsql.Linger (50 ms) of its records, as with SQLite.
// A committed batch is as durable as the server's synchronous_commit makes
// it (on by default: fsynced). Each batch is one transaction: the raw rows
// by COPY, then the hourly and daily roll-up rows it touches, upserted in
// key order so that replicas writing at once never deadlock.
//
// Open creates and migrates the schema itself, under an advisory lock, so
// replicas starting together migrate once. Every replica runs the pruner;
// an advisory lock lets one prune at a time.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/llmrouter/llmrouter/internal/spend"
	"github.com/llmrouter/llmrouter/internal/spend/spendsql"
)

// Options tunes Open.
type Options struct {
	// Logger receives writer and pruner errors; nil discards them.
	Logger *slog.Logger
	// Retention is how long raw records and hourly roll-ups are kept; a
	// background pruner deletes older ones every PruneInterval. Zero keeps
	// everything and runs no pruner. Daily roll-ups are kept forever.
	Retention time.Duration
	// PruneInterval is how often the pruner runs (default 1h).
	PruneInterval time.Duration
	// Prune tunes the pruner's batches.
	Prune spendsql.PruneOptions
	// MaxConns bounds the pool (default 8: the writer, the pruner and a
	// few reports at once).
	MaxConns int32
}

// Store is a spend.Store, spend.Reporter and spend.Totaler on PostgreSQL.
type Store struct {
	*spendsql.Writer
	pool   *pgxpool.Pool
	name   string // host:port/database, for logs and errors: never the password
	opts   Options
	pruner *spendsql.Pruner
}

// Open connects to rawURL (postgres://user:password@host:5432/db), creates
// or migrates the schema, and starts the writer and, with a retention, the
// pruner. Errors never quote the URL's password.
func Open(ctx context.Context, rawURL string, opts Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(rawURL)
	if err != nil {
		return nil, fmt.Errorf("postgres URL: %w", redact(err, rawURL))
	}
	if opts.Retention < 0 {
		return nil, fmt.Errorf("postgres spend store: retention must be >= 0, got %v", opts.Retention)
	}
	cfg.MaxConns = 8
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	name := fmt.Sprintf("postgres %s:%d/%s", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, redact(err, rawURL))
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("%s: %w", name, redact(err, rawURL))
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	s := &Store{pool: pool, name: name, opts: opts}
	s.Writer = spendsql.NewWriter(s.insert, opts.Logger, name)
	if opts.Retention > 0 {
		s.pruner = spendsql.StartPruner(opts.PruneInterval, s.Prune, opts.Logger, name)
	}
	return s, nil
}

// Name is the store as logs show it: postgres host:port/database.
func (s *Store) Name() string { return s.name }

// redact removes the URL's password from err's text: pgx quotes the
// connection string in some errors.
func redact(err error, rawURL string) error {
	u, perr := url.Parse(rawURL)
	if perr != nil {
		return errors.New("cannot parse it (expected postgres://user:password@host:5432/database)")
	}
	if pw, ok := u.User.Password(); ok && pw != "" && strings.Contains(err.Error(), pw) {
		return errors.New(strings.ReplaceAll(err.Error(), pw, "xxxxx"))
	}
	return err
}

// migrations[i] upgrades schema version i to i+1 (spend_schema.version).
// The first holds everything SQLite's first three did; the second is
// SQLite's fourth.
var migrations = []string{
	`CREATE TABLE requests (
		id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		ts_ms           BIGINT  NOT NULL,
		request_id      TEXT    NOT NULL,
		key_id          TEXT    NOT NULL,
		model           TEXT    NOT NULL,
		policy          TEXT    NOT NULL,
		rule            TEXT    NOT NULL,
		input_tokens    BIGINT  NOT NULL,
		output_tokens   BIGINT  NOT NULL,
		thinking_tokens BIGINT  NOT NULL,
		estimated       BOOLEAN NOT NULL,
		cost_nanos      BIGINT  NOT NULL,
		baseline_nanos  BIGINT  NOT NULL,
		status          TEXT    NOT NULL,
		latency_ms      BIGINT  NOT NULL,
		cascade         TEXT    NOT NULL DEFAULT '',
		cascade_step    TEXT    NOT NULL DEFAULT ''
	);
	CREATE INDEX requests_ts ON requests (ts_ms);
	CREATE INDEX requests_key_ts ON requests (key_id, ts_ms);
	` + spendsql.RollupDDL(spendsql.HourTable) + `;
	` + spendsql.RollupDDL(spendsql.DayTable) + `;
	` + spendsql.MetaDDL,
	// Version 2: which router version routed each request and whether its
	// query was out of the router's training distribution. Rows written
	// before recorded neither: they count as not routed. drift is NULL
	// when it was not scored.
	`ALTER TABLE requests ADD COLUMN router_version TEXT NOT NULL DEFAULT '';
	ALTER TABLE requests ADD COLUMN drift DOUBLE PRECISION;
	ALTER TABLE requests ADD COLUMN ood BOOLEAN NOT NULL DEFAULT FALSE;
	` + spendsql.RoutingRollupDDL() + `;
	` + spendsql.VersionDDL,
}

// migrateLock is the advisory lock key replicas migrate under.
const (
	migrateLock = int64(0x6c6c6d72_0001) // "llmr" 1
	pruneLock   = int64(0x6c6c6d72_0002)
)

func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrateLock); err != nil {
			return fmt.Errorf("lock for migration: %w", err)
		}
		if _, err := tx.Exec(ctx, "CREATE TABLE IF NOT EXISTS spend_schema (version INTEGER NOT NULL)"); err != nil {
			return fmt.Errorf("create spend_schema: %w", err)
		}
		var v int
		err := tx.QueryRow(ctx, "SELECT version FROM spend_schema").Scan(&v)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			if _, err := tx.Exec(ctx, "INSERT INTO spend_schema (version) VALUES (0)"); err != nil {
				return fmt.Errorf("init spend_schema: %w", err)
			}
		case err != nil:
			return fmt.Errorf("read schema version: %w", err)
		}
		if v > len(migrations) {
			return fmt.Errorf("schema version %d is newer than this llmrouter understands (%d)", v, len(migrations))
		}
		for ; v < len(migrations); v++ {
			if _, err := tx.Exec(ctx, migrations[v]); err != nil {
				return fmt.Errorf("migrate to version %d: %w", v+1, err)
			}
			if _, err := tx.Exec(ctx, "UPDATE spend_schema SET version = $1", v+1); err != nil {
				return fmt.Errorf("migrate to version %d: %w", v+1, err)
			}
		}
		return nil
	})
}

var rawColumns = []string{"ts_ms", "request_id", "key_id", "model", "policy", "rule", "input_tokens", "output_tokens",
	"thinking_tokens", "estimated", "cost_nanos", "baseline_nanos", "status", "latency_ms", "cascade", "cascade_step",
	"router_version", "drift", "ood"}

// insert writes one batch in one transaction: raw rows by COPY, then the
// roll-up deltas, pipelined.
func (s *Store) insert(ctx context.Context, recs []spend.Record) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows := make([][]any, len(recs))
		for i, r := range recs {
			rows[i] = []any{r.Time.UnixMilli(), r.RequestID, r.KeyID, r.Model, r.Policy, r.Rule,
				int64(r.InputTokens), int64(r.OutputTokens), int64(r.ThinkingTokens), r.Estimated,
				spend.Nanos(r.CostUSD), spend.Nanos(r.BaselineCostUSD), r.Status, r.LatencyMS, r.Cascade, r.CascadeStep,
				r.RouterVersion, spendsql.Drift(r), spendsql.OOD(r)}
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"requests"}, rawColumns, pgx.CopyFromRows(rows)); err != nil {
			return fmt.Errorf("insert: %w", err)
		}
		var b pgx.Batch
		for _, u := range spendsql.Upserts(spendsql.Postgres, recs) {
			for _, args := range u.Args {
				b.Queue(u.SQL, args...)
			}
		}
		if err := tx.SendBatch(ctx, &b).Close(); err != nil {
			return fmt.Errorf("roll up: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s: %w", s.name, err)
	}
	return nil
}

// Report implements spend.Reporter.
func (s *Store) Report(ctx context.Context, q spend.Query) (spend.Report, error) {
	rep, err := spendsql.Report(ctx, conn{s.pool}, spendsql.Postgres, q)
	if err != nil {
		return rep, fmt.Errorf("%s: report: %w", s.name, err)
	}
	return rep, nil
}

// Versions implements spend.VersionReporter.
func (s *Store) Versions(ctx context.Context, q spend.Query) ([]spend.VersionSeen, error) {
	v, err := spendsql.Versions(ctx, conn{s.pool}, spendsql.Postgres, q)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.name, err)
	}
	return v, nil
}

// Summary implements spend.Store.
func (s *Store) Summary(ctx context.Context, q spend.Query) ([]spend.Row, error) {
	if q.GroupBy == "" {
		return nil, errors.New("spend summary: no grouping (one of model, policy, key, day, cascade, hour, total)")
	}
	rep, err := s.Report(ctx, q)
	return rep.Rows, err
}

// SpentSince implements spend.Totaler from the roll-ups: the spend of
// every replica, since they share the store.
func (s *Store) SpentSince(ctx context.Context, from time.Time) (map[string]float64, float64, error) {
	return spendsql.SpentSince(ctx, s, from)
}

// Prune deletes raw records and hourly roll-ups older than the retention
// as of now, in small batches; daily roll-ups stay, so reports give the
// same totals after. While another replica prunes, it does nothing.
func (s *Store) Prune(ctx context.Context, now time.Time) (int64, error) {
	if s.opts.Retention <= 0 {
		return 0, nil
	}
	c, err := s.pool.Acquire(ctx)
	if err != nil {
		return 0, fmt.Errorf("%s: prune: %w", s.name, err)
	}
	defer c.Release()
	var got bool
	if err := c.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", pruneLock).Scan(&got); err != nil {
		return 0, fmt.Errorf("%s: prune: %w", s.name, err)
	}
	if !got {
		return 0, nil
	}
	defer c.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", pruneLock)
	n, err := spendsql.Prune(ctx, conn{s.pool}, spendsql.Postgres, spendsql.Horizon(now, s.opts.Retention), s.opts.Prune)
	if err != nil {
		return n, fmt.Errorf("%s: %w", s.name, err)
	}
	return n, nil
}

// Close stops the pruner, commits queued records and closes the pool.
func (s *Store) Close() error {
	s.pruner.Stop()
	s.Writer.Close()
	s.pool.Close()
	return nil
}

// conn adapts the pool to spendsql.Conn.
type conn struct{ p *pgxpool.Pool }

func (c conn) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	tag, err := c.p.Exec(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (c conn) Query(ctx context.Context, q string, args ...any) (spendsql.Rows, func(), error) {
	rows, err := c.p.Query(ctx, q, args...)
	if err != nil {
		return nil, nil, err
	}
	return rows, rows.Close, nil
}

var (
	_ spend.Store           = (*Store)(nil)
	_ spend.Reporter        = (*Store)(nil)
	_ spend.Totaler         = (*Store)(nil)
	_ spend.VersionReporter = (*Store)(nil)
)

// Ping checks the database answers (the gateway's readiness probe).
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres %s: %w", s.name, err)
	}
	return nil
}
