package main

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/llmrouter/llmrouter/internal/catalog"
	"github.com/llmrouter/llmrouter/internal/provider"
	"github.com/llmrouter/llmrouter/internal/server"
	"github.com/llmrouter/llmrouter/internal/spend"
	"github.com/llmrouter/llmrouter/internal/spend/postgres"
	"github.com/llmrouter/llmrouter/internal/spend/spendtest"
	"github.com/llmrouter/llmrouter/internal/spend/sqlite"
)

// The operations section: how fast the usage API (and so the dashboard)
// answers on a spend store holding a million records, in SQLite and in
// PostgreSQL, and how precisely rate limits hold across two replicas
// sharing Redis under load (ops_limits.go).

// opsAdminKey is the bench gateway's admin key.
const opsAdminKey = "sk-bench-admin"

// opsRecords are n records over the 30 days before now, in time order as
// a gateway writes them: 20 keys, three models, every policy and cascade
// outcome, a few errors.
func opsRecords(n int, now time.Time, seed uint64) []spend.Record {
	rng := rand.New(rand.NewPCG(seed, 17))
	start := now.Add(-30 * 24 * time.Hour)
	step := (30 * 24 * time.Hour) / time.Duration(n)
	models := []string{"gemini-2.5-flash", "gemini-2.5-flash", "gemini-2.5-pro", "gpt-4o-mini"}
	policies := []string{"Standard_Query", "Complex_Query", "Ambiguous_Query"}
	out := make([]spend.Record, 0, n)
	for i := range n {
		r := spend.Record{Time: start.Add(time.Duration(i) * step), RequestID: fmt.Sprint("b", i),
			KeyID: fmt.Sprintf("team-%02d", rng.IntN(20)), Model: models[rng.IntN(len(models))], Policy: policies[rng.IntN(3)],
			Rule: "threshold", InputTokens: 50 + rng.IntN(2000), OutputTokens: rng.IntN(1000), Status: "ok", LatencyMS: int64(200 + rng.ExpFloat64()*800)}
		if rng.IntN(50) == 0 {
			r.Status = "upstream_unavailable"
		}
		if rng.IntN(8) == 0 {
			r.Cascade, r.CascadeStep = []string{spend.CascadeAccepted, spend.CascadeEscalated, spend.CascadeSkipped}[rng.IntN(3)], spend.StepStrong
		}
		r.CostUSD = float64(r.InputTokens)*0.3e-6 + float64(r.OutputTokens)*2.5e-6
		r.BaselineCostUSD = float64(r.InputTokens)*1.25e-6 + float64(r.OutputTokens)*10e-6
		out = append(out, r)
	}
	return out
}

// opsStore is a store under test and how to scan its raw rows directly.
type opsStore struct {
	name  string
	store server.Store
	// rawScan runs one GROUP BY over every raw row, the query a store
	// without roll-ups would need for one breakdown.
	rawScan func(ctx context.Context) error
	close   func()
}

func (b *bench) operations(ctx context.Context) (*Section, error) {
	s := &Section{Title: sectionTitles["operations"]}
	n, reps := 1_000_000, 15
	if b.opts.smoke {
		n, reps = 3000, 2
	}
	s.Intro = fmt.Sprintf("The usage API (`GET /v1/usage/...`), which the dashboard at `/ui` draws, reads the spend store's hourly and daily roll-ups, "+
		"which each batch of records updates in the same transaction as its raw rows; only the minutes at the very edges of a range come from raw rows. "+
		"Here a store is filled with %s records spread over the last 30 days through the gateway's own batching writer, "+
		"then each request is served in process (no network) %d times; the last column times one `GROUP BY` over the raw rows for comparison, "+
		"which is what one breakdown would cost without roll-ups. The dashboard makes one API call, which runs six such reports at once.", count(n), reps)
	recs := opsRecords(n, time.Now(), 1)
	t := Table{Caption: "Usage API latency on a store of " + count(n) + " records (median / p95)",
		Header: []string{"store", "fill (records/s)", "dashboard, 7 days by day", "dashboard, 30 days by hour", "dashboard, 7 days, one key and model", "summary, all time", "one GROUP BY over raw rows"}}
	stores := []func(context.Context) (*opsStore, error){b.opsSQLite, b.opsPostgres}
	for _, open := range stores {
		st, err := open(ctx)
		if err != nil {
			return nil, err
		}
		if st.store == nil {
			t.add(st.name, "not measured: no PostgreSQL (set LLMROUTER_BENCH_POSTGRES_URL or LLMROUTER_TEST_POSTGRES_URL)", "", "", "", "", "")
			continue
		}
		row, err := b.measureStore(ctx, st, recs, reps)
		st.close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", st.name, err)
		}
		t.add(row...)
	}
	s.Tables = append(s.Tables, t)
	lim, err := b.rateLimits(ctx)
	if err != nil {
		return nil, err
	}
	s.Tables = append(s.Tables, lim...)
	s.note("Fill rate is the writer's, records in time order: each batch writes up to 1,024 raw rows and upserts the roll-up rows it touches.")
	s.note("Rate limits count in one-minute windows and estimate the last 60 s from the current and previous window (a sliding window counter); " +
		"allowance is the most that estimate admits in the run: the limit, plus the share of it that the previous window's fading count frees when the run crosses a minute boundary.")
	return s, nil
}

func count(n int) string {
	if n >= 1_000_000 && n%1_000_000 == 0 {
		return fmt.Sprintf("%d million", n/1_000_000)
	}
	return fmt.Sprint(n)
}

func (b *bench) opsSQLite(ctx context.Context) (*opsStore, error) {
	path := filepath.Join(b.opts.workDir, fmt.Sprintf("ops-%d.db", time.Now().UnixNano()))
	st, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		st.Close()
		return nil, err
	}
	return &opsStore{name: "SQLite", store: st,
		rawScan: func(ctx context.Context) error {
			rows, err := db.QueryContext(ctx, "SELECT model, COUNT(*), SUM(cost_nanos), SUM(baseline_nanos) FROM requests GROUP BY model")
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
			}
			return rows.Err()
		},
		close: func() { db.Close(); st.Close(); os.Remove(path) },
	}, nil
}

func (b *bench) opsPostgres(ctx context.Context) (*opsStore, error) {
	raw := os.Getenv("LLMROUTER_BENCH_POSTGRES_URL")
	if raw == "" {
		raw = os.Getenv(spendtest.PostgresEnv)
	}
	if raw == "" {
		return &opsStore{name: "PostgreSQL"}, nil
	}
	url, drop, err := spendtest.NewSchema(ctx, raw, "bench")
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL: %w", err)
	}
	st, err := postgres.Open(ctx, url, postgres.Options{})
	if err != nil {
		drop()
		return nil, err
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		st.Close()
		drop()
		return nil, err
	}
	return &opsStore{name: "PostgreSQL", store: st,
		rawScan: func(ctx context.Context) error {
			rows, err := conn.Query(ctx, "SELECT model, COUNT(*), SUM(cost_nanos), SUM(baseline_nanos) FROM requests GROUP BY model")
			if err != nil {
				return err
			}
			rows.Close()
			return rows.Err()
		},
		close: func() { conn.Close(context.Background()); st.Close(); drop() },
	}, nil
}

// measureStore fills st with recs and times the usage API over it.
func (b *bench) measureStore(ctx context.Context, st *opsStore, recs []spend.Record, reps int) ([]string, error) {
	q, ok := st.store.(interface {
		Enqueue(context.Context, spend.Record) error
		Flush(context.Context) error
	})
	if !ok {
		return nil, fmt.Errorf("store cannot enqueue")
	}
	start := time.Now()
	for _, r := range recs {
		if err := q.Enqueue(ctx, r); err != nil {
			return nil, err
		}
	}
	if err := q.Flush(ctx); err != nil {
		return nil, err
	}
	fill := time.Since(start)
	b.opts.log.Info("operations: store filled", "store", st.name, "records", len(recs), "took", fill.Round(time.Millisecond))
	h, err := opsGateway(st.store)
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	week := now.AddDate(0, 0, -7).Format(time.RFC3339)
	month := now.AddDate(0, 0, -30).Format(time.RFC3339)
	row := []string{st.name, fmt.Sprintf("%.0f", float64(len(recs))/fill.Seconds())}
	for _, path := range []string{
		"/v1/usage/dashboard?granularity=day&from=" + week,
		"/v1/usage/dashboard?granularity=hour&from=" + month,
		"/v1/usage/dashboard?granularity=day&key=team-03&model=gemini-2.5-pro&from=" + week,
		"/v1/usage/summary",
	} {
		d, err := timeCalls(reps, func() error { return getOK(h, path) })
		if err != nil {
			return nil, fmt.Errorf("GET %s: %w", path, err)
		}
		row = append(row, d)
	}
	d, err := timeCalls(max(3, reps/5), func() error { return st.rawScan(ctx) })
	if err != nil {
		return nil, fmt.Errorf("raw scan: %w", err)
	}
	return append(row, d), nil
}

// timeCalls runs f reps times and gives the median and p95.
func timeCalls(reps int, f func() error) (string, error) {
	var ds []time.Duration
	if err := f(); err != nil { // warm caches
		return "", err
	}
	for range reps {
		t := time.Now()
		if err := f(); err != nil {
			return "", err
		}
		ds = append(ds, time.Since(t))
	}
	slices.Sort(ds)
	return dur(ds[len(ds)/2]) + " / " + dur(ds[min(len(ds)-1, len(ds)*95/100)]), nil
}

func getOK(h http.Handler, path string) error {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Authorization", "Bearer "+opsAdminKey)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		return fmt.Errorf("status %d: %s", rec.Code, rec.Body.String())
	}
	return nil
}

// opsGateway is a gateway over store that answers only the usage API.
func opsGateway(store spend.Store) (http.Handler, error) {
	yaml := fmt.Sprintf("auth: {admin_keys: [{id: ops, sha256: %s}]}\n", server.HashKey(opsAdminKey))
	cfg, err := server.ParseConfig([]byte(yaml), "bench-ops.yaml")
	if err != nil {
		return nil, err
	}
	srv, err := server.New(cfg, server.Deps{Upstreams: noUpstreams{}, Store: store})
	if err != nil {
		return nil, err
	}
	return srv.Handler(), nil
}

// noUpstreams serves no model: the usage API needs none.
type noUpstreams struct{}

func (noUpstreams) Get(name string) (provider.Provider, catalog.Model, error) {
	return nil, catalog.Model{}, fmt.Errorf("model %s: the operations bench calls no upstream", name)
}
