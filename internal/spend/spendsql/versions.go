package spendsql

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/llmrouter/llmrouter/internal/spend"
)

// The version roll-ups count routed records per UTC hour (kept for the
// retention period) and per UTC day (kept forever), key, model and router
// version, so the versions seen in a period are read from a few rows per
// day rather than from every raw row.
const (
	VersionHourTable = "rollup_version_hour"
	VersionDayTable  = "rollup_version_day"
)

// VersionDDL creates both version roll-ups. first_ms and last_ms are the
// times of the period's first and last record of the version (superseded
// cascade calls included); the counts are of requests, as in the other
// roll-ups.
const VersionDDL = `CREATE TABLE ` + VersionHourTable + ` (` + versionColumns + `);
CREATE TABLE ` + VersionDayTable + ` (` + versionColumns + `)`

const versionColumns = `
	t              BIGINT NOT NULL,
	key_id         TEXT   NOT NULL,
	model          TEXT   NOT NULL,
	router_version TEXT   NOT NULL,
	requests       BIGINT NOT NULL DEFAULT 0,
	drift_scored   BIGINT NOT NULL DEFAULT 0,
	ood            BIGINT NOT NULL DEFAULT 0,
	first_ms       BIGINT NOT NULL,
	last_ms        BIGINT NOT NULL,
	PRIMARY KEY (t, key_id, model, router_version)
`

// VersionDelta is what a batch adds to one row of a version roll-up.
type VersionDelta struct {
	T                          int64
	KeyID, Model, Version      string
	Requests, DriftScored, OOD int64
	FirstMS, LastMS            int64
}

// VersionDeltas sums the routed records of recs per hour and per day, key,
// model and version, each sorted by key so that concurrent writers lock
// rows in one order.
func VersionDeltas(recs []spend.Record) (hour, day []VersionDelta) {
	return versionDeltas(recs, HourMS), versionDeltas(recs, DayMS)
}

func versionDeltas(recs []spend.Record, period int64) []VersionDelta {
	type key struct {
		t                     int64
		keyID, model, version string
	}
	by := map[key]*VersionDelta{}
	for _, r := range recs {
		if r.RouterVersion == "" {
			continue
		}
		ms := r.Time.UnixMilli()
		k := key{floorTo(ms, period), r.KeyID, r.Model, r.RouterVersion}
		d := by[k]
		if d == nil {
			d = &VersionDelta{T: k.t, KeyID: k.keyID, Model: k.model, Version: k.version, FirstMS: ms, LastMS: ms}
			by[k] = d
		}
		d.FirstMS, d.LastMS = min(d.FirstMS, ms), max(d.LastMS, ms)
		if r.Superseded() {
			continue
		}
		d.Requests++
		if r.HasDrift {
			d.DriftScored++
			if r.OutOfDistribution {
				d.OOD++
			}
		}
	}
	out := make([]VersionDelta, 0, len(by))
	for _, d := range by {
		out = append(out, *d)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.T != b.T {
			return a.T < b.T
		}
		if a.KeyID != b.KeyID {
			return a.KeyID < b.KeyID
		}
		if a.Model != b.Model {
			return a.Model < b.Model
		}
		return a.Version < b.Version
	})
	return out
}

// VersionUpsertSQL adds one VersionDelta (Args) to its row of table,
// creating it if new.
func VersionUpsertSQL(d Dialect, table string) string {
	t := table
	return d.Bind(fmt.Sprintf(`INSERT INTO %[1]s (t, key_id, model, router_version, requests, drift_scored, ood, first_ms, last_ms)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (t, key_id, model, router_version) DO UPDATE SET
	requests = %[1]s.requests + excluded.requests, drift_scored = %[1]s.drift_scored + excluded.drift_scored,
	ood = %[1]s.ood + excluded.ood, first_ms = %[2]s(%[1]s.first_ms, excluded.first_ms), last_ms = %[3]s(%[1]s.last_ms, excluded.last_ms)`,
		t, d.Least, d.Greatest))
}

// Args are the values of VersionUpsertSQL's placeholders.
func (v VersionDelta) Args() []any {
	return []any{v.T, v.KeyID, v.Model, v.Version, v.Requests, v.DriftScored, v.OOD, v.FirstMS, v.LastMS}
}

// Versions lists the router versions that routed requests with
// q.From <= time < q.To (and q's key and model), first seen first, read
// as reports are: whole days from the daily version roll-up, whole hours
// at the ends from the hourly one, the minutes left from raw rows. Before
// pruned_before the bounds widen to whole UTC days.
func Versions(ctx context.Context, c Conn, d Dialect, q spend.Query) ([]spend.VersionSeen, error) {
	horizon, err := PrunedBefore(ctx, c, d)
	if err != nil {
		return nil, fmt.Errorf("router versions: read pruned_before: %w", err)
	}
	from, to := bounds(q)
	segs, _, _, _ := plan(from, to, horizon, false)
	out := []spend.VersionSeen{}
	if len(segs) == 0 {
		return out, nil
	}
	sql, args := versionsSQL(d, q, segs)
	rows, done, err := c.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("router versions: %w", err)
	}
	defer done()
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

// versionsSQL is one SELECT per segment, UNION ALL, summed per version.
func versionsSQL(d Dialect, q spend.Query, segs []segment) (string, []any) {
	const counted = countedRequest
	var parts []string
	var args []any
	for _, sg := range segs {
		var sel, where string
		if sg.src == fromRaw {
			sel = fmt.Sprintf("SELECT router_version AS v, ts_ms AS f, ts_ms AS l, %[1]s AS n, "+
				"%[1]s * %[2]s AS s, %[1]s * %[3]s AS o FROM requests", counted, driftScoredRow, oodRow)
			where = "router_version <> '' AND ts_ms >= ? AND ts_ms < ?"
		} else {
			table := VersionHourTable
			if sg.src == fromDay {
				table = VersionDayTable
			}
			sel = "SELECT router_version AS v, first_ms AS f, last_ms AS l, requests AS n, drift_scored AS s, ood AS o FROM " + table
			where = "t >= ? AND t < ?"
		}
		where, args = filterSegment(where, args, q, sg)
		parts = append(parts, sel+" WHERE "+where)
	}
	sql := fmt.Sprintf("SELECT v, MIN(f), MAX(l), CAST(SUM(n) AS BIGINT), CAST(SUM(s) AS BIGINT), CAST(SUM(o) AS BIGINT) FROM (%s) u GROUP BY v ORDER BY 2, 1",
		strings.Join(parts, " UNION ALL "))
	return d.Bind(sql), args
}
