// Package spendsql is what the SQL spend stores (spend/sqlite and
// spend/postgres) share: the roll-up tables and how a batch of records
// updates them, the report query over raw records and roll-ups, pruning,
// and the batching writer that gives both stores the same crash window.
//
// The layout, in both databases:
//
//   - requests: one row per record, kept for the retention period;
//   - rollup_hour: per UTC hour, key, model, policy and cascade outcome,
//     the sums of requests, errors, tokens, cost, baseline cost and a
//     latency histogram, kept for the retention period;
//   - rollup_day: the same per UTC day, kept forever;
//   - rollup_version_hour and rollup_version_day: per UTC hour (kept for
//     the retention period) and day (kept forever), key, model and router
//     version, the routed requests, how many were scored for drift and
//     out of distribution, and the first and last record's time;
//   - spend_meta: pruned_before, the day before which only rollup_day is
//     complete.
//
// Each batch of records updates all three tables in one transaction, so
// the roll-ups always agree with the raw rows. A report splits its time
// range into whole days (rollup_day), whole hours at the edges
// (rollup_hour) and the minutes at the very edges (requests), so it is
// exact and reads a few thousand rows at most however many records there
// are; before pruned_before its bounds are widened to whole days.
package spendsql

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
)

// Dialect is what differs between the databases in the shared SQL.
type Dialect struct {
	// Name is "sqlite" or "postgres", for errors.
	Name string
	// Dollar numbers placeholders $1, $2… (PostgreSQL) instead of ?.
	Dollar bool
	// Least and Greatest name the scalar minimum and maximum of two values.
	Least, Greatest string
}

// The dialects of the two stores.
var (
	SQLite   = Dialect{Name: "sqlite", Least: "MIN", Greatest: "MAX"}
	Postgres = Dialect{Name: "postgres", Dollar: true, Least: "LEAST", Greatest: "GREATEST"}
)

// Bind rewrites the ? placeholders of q for d. Shared SQL never has a ?
// inside a string literal.
func (d Dialect) Bind(q string) string {
	if !d.Dollar {
		return q
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// Rows is the part of *sql.Rows and pgx.Rows the shared code reads.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// Conn runs statements; the stores adapt *sql.DB and *pgxpool.Pool.
type Conn interface {
	// Exec runs q (already bound) and returns the rows it affected.
	Exec(ctx context.Context, q string, args ...any) (int64, error)
	// Query runs q (already bound); the caller must call done.
	Query(ctx context.Context, q string, args ...any) (rows Rows, done func(), err error)
}

// DB adapts a database/sql handle to Conn.
func DB(db *sql.DB) Conn { return sqlDB{db} }

type sqlDB struct{ db *sql.DB }

func (c sqlDB) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	res, err := c.db.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (c sqlDB) Query(ctx context.Context, q string, args ...any) (Rows, func(), error) {
	rows, err := c.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, nil, err
	}
	return rows, func() { rows.Close() }, nil
}
