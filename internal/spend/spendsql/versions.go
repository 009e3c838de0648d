package spendsql

import (
	"context"
	"fmt"
	"time"

	"github.com/llmrouter/llmrouter/internal/spend"
)

// Versions lists the router versions that routed requests with
// q.From <= time < q.To (and q's key and model), first seen first. It
// reads raw rows, so it covers the retention period only: a store that
// has pruned reports no version before pruned_before.
func Versions(ctx context.Context, c Conn, d Dialect, q spend.Query) ([]spend.VersionSeen, error) {
	counted := "(CASE WHEN cascade = 'escalated' AND cascade_step = 'cheap' THEN 0 ELSE 1 END)"
	where := "router_version <> ''"
	var args []any
	if !q.From.IsZero() {
		where += " AND ts_ms >= ?"
		args = append(args, q.From.UnixMilli())
	}
	if !q.To.IsZero() {
		where += " AND ts_ms < ?"
		args = append(args, q.To.UnixMilli())
	}
	if q.KeyID != "" {
		where += " AND key_id = ?"
		args = append(args, q.KeyID)
	}
	if q.Model != "" {
		where += " AND model = ?"
		args = append(args, q.Model)
	}
	sql := fmt.Sprintf(`SELECT router_version, MIN(ts_ms), MAX(ts_ms), CAST(SUM(%[1]s) AS BIGINT),
		CAST(SUM(%[1]s * (CASE WHEN drift IS NULL THEN 0 ELSE 1 END)) AS BIGINT),
		CAST(SUM(%[1]s * (CASE WHEN ood THEN 1 ELSE 0 END)) AS BIGINT)
		FROM requests WHERE %[2]s GROUP BY router_version ORDER BY 2, 1`, counted, where)
	rows, done, err := c.Query(ctx, d.Bind(sql), args...)
	if err != nil {
		return nil, fmt.Errorf("router versions: %w", err)
	}
	defer done()
	out := []spend.VersionSeen{}
	for rows.Next() {
		var v spend.VersionSeen
		var first, last int64
		if err := rows.Scan(&v.Version, &first, &last, &v.Requests, &v.DriftScored, &v.OutOfDistribution); err != nil {
			return nil, fmt.Errorf("router versions: %w", err)
		}
		v.First, v.Last = time.UnixMilli(first).UTC(), time.UnixMilli(last).UTC()
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("router versions: %w", err)
	}
	return out, nil
}
