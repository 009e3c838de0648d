package spendsql

import (
	"fmt"
	"sort"
	"strings"

	"github.com/llmrouter/llmrouter/internal/spend"
)

// Period lengths in milliseconds; UTC days have no leap seconds in Unix time.
const (
	HourMS = int64(3_600_000)
	DayMS  = 24 * HourMS
)

// Tables of the roll-ups.
const (
	HourTable = "rollup_hour"
	DayTable  = "rollup_day"
)

// dims are a roll-up row's key columns, measures its summed columns: the
// core sums, the routing counters, then the latency histogram. firstMeasures
// are the columns the roll-up tables were created with (RollupDDL); the
// routing counters came later (RoutingRollupDDL).
var (
	dims            = []string{"t", "key_id", "model", "policy", "cascade"}
	coreMeasures    = []string{"requests", "errors", "records", "input_tokens", "output_tokens", "thinking_tokens", "cost_nanos", "baseline_nanos"}
	routingMeasures = []string{"routed", "drift_scored", "ood"}
	latMeasures     = func() []string {
		var m []string
		for i := range spend.LatencyBuckets {
			m = append(m, latColumn(i))
		}
		return m
	}()
	measures      = concat(coreMeasures, routingMeasures, latMeasures)
	firstMeasures = concat(coreMeasures, latMeasures)
	// nSums is the number of measures a report reads without latency.
	nSums = len(coreMeasures) + len(routingMeasures)
)

func concat(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func latColumn(i int) string { return fmt.Sprintf("l%02d", i) }

// RollupDDL creates one roll-up table (HourTable or DayTable) as the
// stores' first roll-up migration did: t is the period's start in Unix
// milliseconds. It never changes, since a migration must run the same
// way on every database; RoutingRollupDDL adds the later columns.
func RollupDDL(table string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE %s (\n\tt BIGINT NOT NULL,\n\tkey_id TEXT NOT NULL,\n\tmodel TEXT NOT NULL,\n\tpolicy TEXT NOT NULL,\n\tcascade TEXT NOT NULL,\n", table)
	for _, m := range firstMeasures {
		fmt.Fprintf(&b, "\t%s BIGINT NOT NULL DEFAULT 0,\n", m)
	}
	fmt.Fprintf(&b, "\tPRIMARY KEY (%s)\n)", strings.Join(dims, ", "))
	return b.String()
}

// RoutingRollupDDL adds the routing counters to both roll-up tables.
// Rows rolled up before hold 0: those requests recorded no router
// version or drift, so they count as not routed.
func RoutingRollupDDL() string {
	var st []string
	for _, table := range []string{HourTable, DayTable} {
		for _, m := range routingMeasures {
			st = append(st, fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s BIGINT NOT NULL DEFAULT 0", table, m))
		}
	}
	return strings.Join(st, ";\n")
}

// MetaDDL creates spend_meta with pruned_before at 0 (nothing pruned).
const MetaDDL = `CREATE TABLE spend_meta (name TEXT PRIMARY KEY, value BIGINT NOT NULL);
INSERT INTO spend_meta (name, value) VALUES ('pruned_before', 0)`

// Key identifies a roll-up row.
type Key struct {
	T                             int64
	KeyID, Model, Policy, Cascade string
}

// Sums are a roll-up row's measures.
type Sums struct {
	Requests, Errors, Records                 int64
	InputTokens, OutputTokens, ThinkingTokens int64
	CostNanos, BaselineNanos                  int64
	Routed, DriftScored, OOD                  int64
	Latency                                   spend.Histogram
}

// Delta is what a batch adds to one roll-up row.
type Delta struct {
	Key
	Sums
}

// add counts r: a record that is not a request of its own (the superseded
// cheap call of an escalated cascade) adds its tokens and cost only, so
// its request's baseline and latency are counted once.
func (s *Sums) add(r spend.Record) {
	s.Records++
	s.InputTokens += int64(r.InputTokens)
	s.OutputTokens += int64(r.OutputTokens)
	s.ThinkingTokens += int64(r.ThinkingTokens)
	s.CostNanos += spend.Nanos(r.CostUSD)
	if r.Superseded() {
		return
	}
	s.Requests++
	if r.Status != "ok" {
		s.Errors++
	}
	s.BaselineNanos += spend.Nanos(r.BaselineCostUSD)
	s.Latency.Add(r.LatencyMS)
	if r.RouterVersion != "" {
		s.Routed++
	}
	if r.HasDrift {
		s.DriftScored++
		if r.OutOfDistribution {
			s.OOD++
		}
	}
}

// OOD is the value of a raw row's ood column: out of distribution only
// when drift was scored.
func OOD(r spend.Record) bool { return r.HasDrift && r.OutOfDistribution }

// Drift is the value of a raw row's drift column: NULL (nil) when drift
// was not scored.
func Drift(r spend.Record) any {
	if r.HasDrift {
		return r.Drift
	}
	return nil
}

// Deltas sums records into hourly and daily roll-up deltas, each sorted by
// key: concurrent writers (replicas) then lock rows in one order and
// cannot deadlock.
func Deltas(recs []spend.Record) (hour, day []Delta) {
	return deltas(recs, HourMS), deltas(recs, DayMS)
}

func deltas(recs []spend.Record, period int64) []Delta {
	by := map[Key]*Sums{}
	for _, r := range recs {
		ms := r.Time.UnixMilli()
		k := Key{T: floorTo(ms, period), KeyID: r.KeyID, Model: r.Model, Policy: r.Policy, Cascade: r.Cascade}
		s := by[k]
		if s == nil {
			s = &Sums{}
			by[k] = s
		}
		s.add(r)
	}
	out := make([]Delta, 0, len(by))
	for k, s := range by {
		out = append(out, Delta{Key: k, Sums: *s})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key.less(out[j].Key) })
	return out
}

func (k Key) less(o Key) bool {
	if k.T != o.T {
		return k.T < o.T
	}
	if k.KeyID != o.KeyID {
		return k.KeyID < o.KeyID
	}
	if k.Model != o.Model {
		return k.Model < o.Model
	}
	if k.Policy != o.Policy {
		return k.Policy < o.Policy
	}
	return k.Cascade < o.Cascade
}

// UpsertSQL adds one Delta (Args) to its row of table, creating it if new.
func UpsertSQL(d Dialect, table string) string {
	cols := append(append([]string{}, dims...), measures...)
	set := make([]string, len(measures))
	for i, m := range measures {
		set[i] = fmt.Sprintf("%s = %s.%s + excluded.%s", m, table, m, m)
	}
	return d.Bind(fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s) ON CONFLICT (%s) DO UPDATE SET %s",
		table, strings.Join(cols, ", "), strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", "),
		strings.Join(dims, ", "), strings.Join(set, ", ")))
}

// Args are the values of UpsertSQL's placeholders.
func (d Delta) Args() []any {
	a := make([]any, 0, len(dims)+len(measures))
	a = append(a, d.T, d.KeyID, d.Model, d.Policy, d.Cascade,
		d.Requests, d.Errors, d.Records, d.InputTokens, d.OutputTokens, d.ThinkingTokens, d.CostNanos, d.BaselineNanos,
		d.Routed, d.DriftScored, d.OOD)
	for _, n := range d.Latency {
		a = append(a, n)
	}
	return a
}

// Upsert is one roll-up table's statement and the arguments of each of
// its rows a batch changes.
type Upsert struct {
	SQL  string
	Args [][]any
}

// Upserts are what a batch of records adds to every roll-up (hourly and
// daily, then the version roll-ups), in d's SQL, for a store to run in
// the transaction that inserts the raw rows; tables the batch does not
// touch are left out.
func Upserts(d Dialect, recs []spend.Record) []Upsert {
	hour, day := Deltas(recs)
	vh, vd := VersionDeltas(recs)
	var out []Upsert
	add := func(sql string, args [][]any) {
		if len(args) > 0 {
			out = append(out, Upsert{SQL: sql, Args: args})
		}
	}
	add(UpsertSQL(d, HourTable), argsOf(hour))
	add(UpsertSQL(d, DayTable), argsOf(day))
	add(VersionUpsertSQL(d, VersionHourTable), argsOf(vh))
	add(VersionUpsertSQL(d, VersionDayTable), argsOf(vd))
	return out
}

func argsOf[D interface{ Args() []any }](deltas []D) [][]any {
	out := make([][]any, len(deltas))
	for i, d := range deltas {
		out[i] = d.Args()
	}
	return out
}

// BackfillSQL fills an empty roll-up table from the raw requests table
// (a store's first migration to roll-ups), with RollupDDL's columns. Rows from before baseline
// tracking hold their own cost as baseline, so no savings are claimed for
// them.
func BackfillSQL(table string, period int64) string {
	const counted = countedRequest
	sel := []string{
		fmt.Sprintf("(ts_ms / %d) * %d", period, period), "key_id", "model", "policy", "cascade",
		"SUM(" + counted + ")", "SUM(CASE WHEN status = 'ok' THEN 0 ELSE " + counted + " END)", "COUNT(*)",
		"SUM(input_tokens)", "SUM(output_tokens)", "SUM(thinking_tokens)", "SUM(cost_nanos)", "SUM(" + counted + " * baseline_nanos)",
	}
	for i := range spend.LatencyBuckets {
		sel = append(sel, "SUM("+counted+" * "+latencyIn(i)+")")
	}
	return fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM requests GROUP BY 1, 2, 3, 4, 5",
		table, strings.Join(concat(dims, firstMeasures), ", "), strings.Join(sel, ", "))
}

// latencyIn is 1 when a raw row's latency_ms falls in bucket i, else 0.
func latencyIn(i int) string {
	b := spend.LatencyBoundsMS
	switch {
	case i == 0:
		return fmt.Sprintf("(CASE WHEN latency_ms < %d THEN 1 ELSE 0 END)", b[0])
	case i == len(b):
		return fmt.Sprintf("(CASE WHEN latency_ms >= %d THEN 1 ELSE 0 END)", b[i-1])
	}
	return fmt.Sprintf("(CASE WHEN latency_ms >= %d AND latency_ms < %d THEN 1 ELSE 0 END)", b[i-1], b[i])
}
