package spendsql

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/llmrouter/llmrouter/internal/spend"
)

// source is where a segment of a report's range is read from.
type source int

const (
	fromRaw source = iota
	fromHour
	fromDay
)

// segment is [lo, hi) of one source, in Unix milliseconds.
type segment struct {
	src    source
	lo, hi int64
}

// Open bounds are these sentinels; aligning never moves them.
const (
	openLo = int64(math.MinInt64)
	openHi = int64(math.MaxInt64)
)

// bounds are q's [From, To) in Unix milliseconds, a zero bound open.
func bounds(q spend.Query) (from, to int64) {
	from, to = openLo, openHi
	if !q.From.IsZero() {
		from = q.From.UnixMilli()
	}
	if !q.To.IsZero() {
		to = q.To.UnixMilli()
	}
	return from, to
}

func floorTo(ms, p int64) int64 {
	if ms == openLo || ms == openHi {
		return ms
	}
	r := ms % p
	if r < 0 {
		r += p
	}
	return ms - r
}

func ceilTo(ms, p int64) int64 {
	f := floorTo(ms, p)
	if f == ms {
		return ms
	}
	return f + p
}

// plan splits [from, to) into segments read from the coarsest source that
// covers them exactly: whole days from rollup_day, the whole hours left at
// either end from rollup_hour, the minutes left from raw rows. Before
// horizon (pruned_before, a day boundary) only rollup_day is complete, so
// that part is widened to whole days; byHour leaves it out instead, as
// days cannot be split into hours. It returns the bounds covered.
func plan(from, to, horizon int64, byHour bool) (segs []segment, lo, hi int64, rounded bool) {
	lo, hi = from, to
	if lo >= hi {
		return nil, lo, hi, false
	}
	if horizon > 0 && lo < horizon {
		if byHour {
			lo, rounded = min(horizon, hi), true
		} else {
			if d := floorTo(lo, DayMS); d != lo {
				lo, rounded = d, true
			}
			end := horizon
			if hi < horizon {
				if d := ceilTo(hi, DayMS); d != hi {
					hi, rounded = d, true
				}
				end = hi
			}
			segs = append(segs, segment{fromDay, lo, end})
			if hi <= horizon {
				return segs, lo, hi, rounded
			}
			from = horizon
		}
	}
	if from < lo {
		from = lo
	}
	periods := []struct {
		src source
		ms  int64
	}{{fromDay, DayMS}, {fromHour, HourMS}}
	if byHour {
		periods = periods[1:]
	}
	return fill(segs, from, hi, periods), lo, hi, rounded
}

// fill covers [s, e) with the first period's whole units, then its ends
// with the next period's, and what is left with raw rows.
func fill(segs []segment, s, e int64, periods []struct {
	src source
	ms  int64
}) []segment {
	if s >= e {
		return segs
	}
	if len(periods) == 0 {
		return append(segs, segment{fromRaw, s, e})
	}
	p := periods[0]
	a, b := ceilTo(s, p.ms), floorTo(e, p.ms)
	if a >= b {
		return fill(segs, s, e, periods[1:])
	}
	segs = fill(segs, s, a, periods[1:])
	segs = append(segs, segment{p.src, a, b})
	return fill(segs, b, e, periods[1:])
}

// groupExpr is the text a row is grouped by, read from src.
func groupExpr(g spend.GroupBy, src source) (string, error) {
	t := "t"
	if src == fromRaw {
		t = "ts_ms"
	}
	switch g {
	case spend.ByModel:
		return "model", nil
	case spend.ByPolicy:
		return "policy", nil
	case spend.ByKey:
		return "key_id", nil
	case spend.ByCascade:
		return "cascade", nil
	case spend.ByTotal, "":
		return "''", nil
	case spend.ByDay:
		if src == fromDay {
			return "CAST(t AS TEXT)", nil
		}
		return fmt.Sprintf("CAST((%s / %d) * %d AS TEXT)", t, DayMS, DayMS), nil
	case spend.ByHour:
		if src == fromHour {
			return "CAST(t AS TEXT)", nil
		}
		return fmt.Sprintf("CAST((%s / %d) * %d AS TEXT)", t, HourMS, HourMS), nil
	}
	return "", fmt.Errorf("unknown grouping %q (one of model, policy, key, day, hour, cascade, total)", g)
}

// countedRequest is 1 for a raw row that counts as a request and 0 for the
// cheap step of an escalated cascade, which the strong step's row already
// counts: a client sent one request, not two.
const countedRequest = "(CASE WHEN cascade = 'escalated' AND cascade_step = 'cheap' THEN 0 ELSE 1 END)"

// driftScoredRow and oodRow are 1 for a raw row whose drift was scored,
// and scored out of distribution; reports and the versions view count
// them per counted request, as the roll-ups do.
const (
	driftScoredRow = "(CASE WHEN drift IS NULL THEN 0 ELSE 1 END)"
	oodRow         = "(CASE WHEN ood THEN 1 ELSE 0 END)"
)

// filterSegment appends to where the segment's time bounds and the query's
// key and model filters, as placeholders, and their values to args.
func filterSegment(where string, args []any, q spend.Query, sg segment) (string, []any) {
	args = append(args, sg.lo, sg.hi)
	if q.KeyID != "" {
		where += " AND key_id = ?"
		args = append(args, q.KeyID)
	}
	if q.Model != "" {
		where += " AND model = ?"
		args = append(args, q.Model)
	}
	return where, args
}

// rawMeasures are a raw row's contribution, in the roll-ups' columns.
func rawMeasures(latency bool) []string {
	const counted = countedRequest
	m := []string{counted, "(CASE WHEN status = 'ok' THEN 0 ELSE " + counted + " END)", "1",
		"input_tokens", "output_tokens", "thinking_tokens", "cost_nanos", "(" + counted + " * baseline_nanos)",
		"(" + counted + " * (CASE WHEN router_version <> '' THEN 1 ELSE 0 END))",
		"(" + counted + " * " + driftScoredRow + ")",
		"(" + counted + " * " + oodRow + ")"}
	if latency {
		for i := range spend.LatencyBuckets {
			m = append(m, "("+counted+" * "+latencyIn(i)+")")
		}
	}
	return m
}

// build is the report query: one SELECT per segment, UNION ALL, summed
// per group. Group and column names come from fixed tables, never from
// the query's text values, which are all placeholders.
func build(d Dialect, q spend.Query, segs []segment) (string, []any, error) {
	n := nSums
	if q.Latency {
		n += spend.LatencyBuckets
	}
	var parts []string
	var args []any
	for _, sg := range segs {
		g, err := groupExpr(q.GroupBy, sg.src)
		if err != nil {
			return "", nil, err
		}
		var cols []string
		table, tcol := "requests", "ts_ms"
		switch sg.src {
		case fromRaw:
			cols = rawMeasures(q.Latency)
		case fromHour:
			table, tcol, cols = HourTable, "t", measures[:n]
		case fromDay:
			table, tcol, cols = DayTable, "t", measures[:n]
		}
		sel := make([]string, len(cols))
		for i, c := range cols {
			sel[i] = c + " AS " + measures[i]
		}
		var where string
		where, args = filterSegment(tcol+" >= ? AND "+tcol+" < ?", args, q, sg)
		parts = append(parts, fmt.Sprintf("SELECT %s AS g, %s FROM %s WHERE %s", g, strings.Join(sel, ", "), table, where))
	}
	sums := make([]string, n)
	for i := range n {
		sums[i] = "CAST(SUM(" + measures[i] + ") AS BIGINT)"
	}
	sql := fmt.Sprintf("SELECT g, %s FROM (%s) u GROUP BY g", strings.Join(sums, ", "), strings.Join(parts, " UNION ALL "))
	return d.Bind(sql), args, nil
}

// PrunedBefore reads spend_meta's pruned_before (0: nothing pruned).
func PrunedBefore(ctx context.Context, c Conn, d Dialect) (int64, error) {
	rows, done, err := c.Query(ctx, d.Bind("SELECT value FROM spend_meta WHERE name = 'pruned_before'"))
	if err != nil {
		return 0, err
	}
	defer done()
	var v int64
	if rows.Next() {
		if err := rows.Scan(&v); err != nil {
			return 0, err
		}
	}
	return v, rows.Err()
}

// Report aggregates q from the raw rows and roll-ups behind c.
func Report(ctx context.Context, c Conn, d Dialect, q spend.Query) (spend.Report, error) {
	if q.GroupBy == "" {
		q.GroupBy = spend.ByTotal
	}
	horizon, err := PrunedBefore(ctx, c, d)
	if err != nil {
		return spend.Report{}, fmt.Errorf("read pruned_before: %w", err)
	}
	from, to := bounds(q)
	segs, lo, hi, rounded := plan(from, to, horizon, q.GroupBy == spend.ByHour)
	rep := spend.Report{Rows: []spend.Row{}, Rounded: rounded}
	if lo != openLo {
		rep.From = time.UnixMilli(lo).UTC()
	}
	if hi != openHi {
		rep.To = time.UnixMilli(hi).UTC()
	}
	if horizon > 0 {
		rep.RawSince = time.UnixMilli(horizon).UTC()
	}
	if len(segs) == 0 {
		return rep, nil
	}
	sql, args, err := build(d, q, segs)
	if err != nil {
		return spend.Report{}, err
	}
	rows, done, err := c.Query(ctx, sql, args...)
	if err != nil {
		return spend.Report{}, err
	}
	defer done()
	for rows.Next() {
		r, err := scanRow(rows, q)
		if err != nil {
			return spend.Report{}, err
		}
		rep.Rows = append(rep.Rows, r)
	}
	if err := rows.Err(); err != nil {
		return spend.Report{}, err
	}
	spend.SortRows(q.GroupBy, rep.Rows)
	return rep, nil
}

func scanRow(rows Rows, q spend.Query) (spend.Row, error) {
	var r spend.Row
	var records, cost, base int64
	var lat spend.Histogram
	dest := []any{&r.Group, &r.Requests, &r.Errors, &records, &r.InputTokens, &r.OutputTokens, &r.ThinkingTokens, &cost, &base,
		&r.Routed, &r.DriftScored, &r.OutOfDistribution}
	if q.Latency {
		for i := range lat {
			dest = append(dest, &lat[i])
		}
	}
	if err := rows.Scan(dest...); err != nil {
		return r, err
	}
	r.CostUSD, r.BaselineCostUSD, r.SavingsUSD = spend.USD(cost), spend.USD(base), spend.USD(base-cost)
	if q.Latency {
		r.Latency = &lat
	}
	if q.GroupBy == spend.ByDay || q.GroupBy == spend.ByHour {
		ms, err := strconv.ParseInt(r.Group, 10, 64)
		if err != nil {
			return r, fmt.Errorf("period %q is not a time: %w", r.Group, err)
		}
		if q.GroupBy == spend.ByDay {
			r.Group = time.UnixMilli(ms).UTC().Format("2006-01-02")
		} else {
			r.Group = time.UnixMilli(ms).UTC().Format(time.RFC3339)
		}
	}
	return r, nil
}

// SpentSince is spend.Totaler over a Reporter: the cost per key and in
// total from from on.
func SpentSince(ctx context.Context, r spend.Reporter, from time.Time) (map[string]float64, float64, error) {
	rep, err := r.Report(ctx, spend.Query{From: from, GroupBy: spend.ByKey})
	if err != nil {
		return nil, 0, fmt.Errorf("totals: %w", err)
	}
	byKey := make(map[string]float64, len(rep.Rows))
	var total int64
	for _, row := range rep.Rows {
		byKey[row.Group] = row.CostUSD
		total += spend.Nanos(row.CostUSD)
	}
	return byKey, spend.USD(total), nil
}
