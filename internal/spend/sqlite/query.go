package sqlite

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/llmrouter/llmrouter/internal/spend"
)

// groupColumn maps a grouping to a column; never user text in SQL.
var groupColumn = map[spend.GroupBy]string{
	spend.ByModel:   "model",
	spend.ByPolicy:  "policy",
	spend.ByKey:     "key_id",
	spend.ByDay:     "day",
	spend.ByCascade: "cascade",
}

// countedSQL is 1 for a record that counts as a request: every record but
// the superseded cheap call of an escalated cascade (spend.Record.Superseded).
const countedSQL = `(CASE WHEN cascade = 'escalated' AND cascade_step = 'cheap' THEN 0 ELSE 1 END)`

// bounds turns a Query's open interval into millisecond bounds.
func bounds(from, to time.Time) (int64, int64) {
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	if !from.IsZero() {
		lo = from.UnixMilli()
	}
	if !to.IsZero() {
		hi = to.UnixMilli()
	}
	return lo, hi
}

// Summary implements spend.Store.
func (s *Store) Summary(ctx context.Context, q spend.Query) ([]spend.Row, error) {
	col, ok := groupColumn[q.GroupBy]
	if !ok {
		return nil, fmt.Errorf("spend summary: unknown grouping %q (one of model, policy, key, day, cascade)", q.GroupBy)
	}
	order := "cost DESC, g"
	if q.GroupBy == spend.ByDay {
		order = "g"
	}
	lo, hi := bounds(q.From, q.To)
	rows, err := s.db.QueryContext(ctx, `SELECT `+col+` AS g, SUM(`+countedSQL+`),
		SUM(CASE WHEN status = 'ok' THEN 0 ELSE `+countedSQL+` END),
		SUM(input_tokens), SUM(output_tokens), SUM(thinking_tokens), SUM(cost_nanos) AS cost
		FROM requests WHERE ts_ms >= ? AND ts_ms < ? GROUP BY g ORDER BY `+order, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("spend database %s: summary: %w", s.path, err)
	}
	defer rows.Close()
	var out []spend.Row
	for rows.Next() {
		var r spend.Row
		var nanos int64
		if err := rows.Scan(&r.Group, &r.Requests, &r.Errors, &r.InputTokens, &r.OutputTokens, &r.ThinkingTokens, &nanos); err != nil {
			return nil, fmt.Errorf("spend database %s: summary: %w", s.path, err)
		}
		r.CostUSD = spend.USD(nanos)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("spend database %s: summary: %w", s.path, err)
	}
	return out, nil
}

// SpentSince implements spend.Totaler.
func (s *Store) SpentSince(ctx context.Context, from time.Time) (map[string]float64, float64, error) {
	lo, _ := bounds(from, time.Time{})
	rows, err := s.db.QueryContext(ctx, `SELECT key_id, SUM(cost_nanos) FROM requests WHERE ts_ms >= ? GROUP BY key_id`, lo)
	if err != nil {
		return nil, 0, fmt.Errorf("spend database %s: totals: %w", s.path, err)
	}
	defer rows.Close()
	byKey := map[string]float64{}
	var total int64
	for rows.Next() {
		var k string
		var n int64
		if err := rows.Scan(&k, &n); err != nil {
			return nil, 0, fmt.Errorf("spend database %s: totals: %w", s.path, err)
		}
		byKey[k] = spend.USD(n)
		total += n
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("spend database %s: totals: %w", s.path, err)
	}
	return byKey, spend.USD(total), nil
}
