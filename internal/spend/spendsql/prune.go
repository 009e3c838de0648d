package spendsql

import (
	"context"
	"fmt"
	"time"
)

// PruneOptions bound one prune's work per statement.
type PruneOptions struct {
	// Batch is the most rows one DELETE removes (default 2000): each
	// statement holds its locks for a few milliseconds, so the writer,
	// which commits every 50 ms, never waits long behind it.
	Batch int
	// Pause is the wait between statements (default 10 ms), the writer's
	// turn.
	Pause time.Duration
}

// Prune deletes raw rows and hourly roll-ups (rollup_hour,
// rollup_version_hour) from before horizon, a UTC
// day boundary (Unix ms), and returns how many rows went. It first raises
// pruned_before to horizon: from then on reports read the days before it
// from rollup_day alone, so no report changes while rows disappear.
func Prune(ctx context.Context, c Conn, d Dialect, horizon int64, o PruneOptions) (int64, error) {
	if horizon%DayMS != 0 {
		return 0, fmt.Errorf("prune horizon %d is not a UTC day boundary", horizon)
	}
	if o.Batch <= 0 {
		o.Batch = 2000
	}
	if o.Pause <= 0 {
		o.Pause = 10 * time.Millisecond
	}
	if _, err := exec(ctx, c, d.Bind("UPDATE spend_meta SET value = ? WHERE name = 'pruned_before' AND value < ?"), horizon, horizon); err != nil {
		return 0, fmt.Errorf("raise pruned_before: %w", err)
	}
	var total int64
	del := d.Bind("DELETE FROM requests WHERE id IN (SELECT id FROM requests WHERE ts_ms < ? LIMIT ?)")
	for {
		n, err := exec(ctx, c, del, horizon, o.Batch)
		if err != nil {
			return total, fmt.Errorf("prune raw records: %w", err)
		}
		total += n
		if n < int64(o.Batch) {
			break
		}
		if err := sleep(ctx, o.Pause); err != nil {
			return total, err
		}
	}
	for _, table := range []string{HourTable, VersionHourTable} {
		n, err := pruneHourly(ctx, c, d, table, horizon, o)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// pruneHourly deletes an hourly roll-up's rows from before horizon. They
// have no id; a day holds 24 rows per combination of keys seen in it, a
// few thousand at most, so they go a day at a time.
func pruneHourly(ctx context.Context, c Conn, d Dialect, table string, horizon int64, o PruneOptions) (int64, error) {
	first := d.Bind("SELECT MIN(t) FROM " + table + " WHERE t < ?")
	del := d.Bind("DELETE FROM " + table + " WHERE t >= ? AND t < ?")
	var total int64
	for {
		t, ok, err := minT(ctx, c, first, horizon)
		if err != nil {
			return total, fmt.Errorf("prune %s: %w", table, err)
		}
		if !ok {
			return total, nil
		}
		n, err := exec(ctx, c, del, t, min(floorTo(t, DayMS)+DayMS, horizon))
		if err != nil {
			return total, fmt.Errorf("prune %s: %w", table, err)
		}
		total += n
		if err := sleep(ctx, o.Pause); err != nil {
			return total, err
		}
	}
}

// exec runs one prune statement, retrying a few times: the pruner yields
// to the writer, and on a busy database a statement may find the write
// lock taken for longer than the driver waits (SQLITE_BUSY). The next
// run retries anything still failing.
func exec(ctx context.Context, c Conn, q string, args ...any) (int64, error) {
	var err error
	for try := range 5 {
		var n int64
		if n, err = c.Exec(ctx, q, args...); err == nil {
			return n, nil
		}
		if serr := sleep(ctx, time.Duration(100<<try)*time.Millisecond); serr != nil {
			return 0, serr
		}
	}
	return 0, err
}

func minT(ctx context.Context, c Conn, q string, horizon int64) (int64, bool, error) {
	rows, done, err := c.Query(ctx, q, horizon)
	if err != nil {
		return 0, false, err
	}
	defer done()
	var t *int64
	if rows.Next() {
		if err := rows.Scan(&t); err != nil {
			return 0, false, err
		}
	}
	if err := rows.Err(); err != nil {
		return 0, false, err
	}
	if t == nil {
		return 0, false, nil
	}
	return *t, true, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Horizon is the prune horizon for a retention: the start of the UTC day
// retention before now, so whole days go at once and the hourly roll-ups
// left always cover whole days.
func Horizon(now time.Time, retention time.Duration) int64 {
	return floorTo(now.Add(-retention).UnixMilli(), DayMS)
}
