package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter/internal/spend"
)

func openTemp(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sub", "spend.db")
	s, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

var day1 = time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)

func fixtures() []spend.Record {
	return []spend.Record{
		{Time: day1, RequestID: "r1", KeyID: "k_a", Model: "gemini-2.5-pro", Policy: "Complex_Query", Rule: "keyword", InputTokens: 100, OutputTokens: 50, ThinkingTokens: 10, CostUSD: 0.000725, Status: "ok", LatencyMS: 900},
		{Time: day1.Add(time.Hour), RequestID: "r2", KeyID: "k_a", Model: "gemini-2.5-flash", Policy: "Standard_Query", Rule: "static", InputTokens: 20, OutputTokens: 5, CostUSD: 0.0000185, Status: "ok", LatencyMS: 200},
		{Time: day1.Add(25 * time.Hour), RequestID: "r3", KeyID: "k_b", Model: "gemini-2.5-flash", Policy: "Standard_Query", Rule: "static", InputTokens: 30, OutputTokens: 0, Estimated: true, CostUSD: 0.000009, Status: "upstream_unavailable", LatencyMS: 30000},
		{Time: day1.Add(49 * time.Hour), RequestID: "r4", Model: "gemini-2.5-pro", Policy: "Ambiguous_Query", Rule: "math", InputTokens: 1000, OutputTokens: 2000, CostUSD: 0.02125, Status: "ok", LatencyMS: 4000},
	}
}

func TestSummary(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	for _, r := range fixtures() {
		if err := s.Record(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name string
		q    spend.Query
		want []string // "group requests errors in out think cost"
	}{
		{"by model", spend.Query{GroupBy: spend.ByModel}, []string{
			"gemini-2.5-pro 2 0 1100 2050 10 0.021975000",
			"gemini-2.5-flash 2 1 50 5 0 0.000027500",
		}},
		{"by policy", spend.Query{GroupBy: spend.ByPolicy}, []string{
			"Ambiguous_Query 1 0 1000 2000 0 0.021250000",
			"Complex_Query 1 0 100 50 10 0.000725000",
			"Standard_Query 2 1 50 5 0 0.000027500",
		}},
		{"by key, anonymous filled in", spend.Query{GroupBy: spend.ByKey}, []string{
			"anonymous 1 0 1000 2000 0 0.021250000",
			"k_a 2 0 120 55 10 0.000743500",
			"k_b 1 1 30 0 0 0.000009000",
		}},
		{"by day, in date order", spend.Query{GroupBy: spend.ByDay}, []string{
			"2026-01-01 2 0 120 55 10 0.000743500",
			"2026-01-02 1 1 30 0 0 0.000009000",
			"2026-01-03 1 0 1000 2000 0 0.021250000",
		}},
		{"from is inclusive, to exclusive", spend.Query{GroupBy: spend.ByDay, From: day1.Add(time.Hour), To: day1.Add(49 * time.Hour)}, []string{
			"2026-01-01 1 0 20 5 0 0.000018500",
			"2026-01-02 1 1 30 0 0 0.000009000",
		}},
		{"empty range", spend.Query{GroupBy: spend.ByModel, From: day1.Add(1000 * time.Hour)}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := s.Summary(ctx, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range rows {
				got = append(got, fmt.Sprintf("%s %d %d %d %d %d %.9f", r.Group, r.Requests, r.Errors, r.InputTokens, r.OutputTokens, r.ThinkingTokens, r.CostUSD))
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
	if _, err := s.Summary(ctx, spend.Query{GroupBy: "week"}); err == nil || !strings.Contains(err.Error(), `"week"`) {
		t.Fatalf("bad grouping: %v", err)
	}
}

func TestSpentSinceAndRestore(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	for _, r := range fixtures() {
		if err := s.Record(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	byKey, total, err := s.SpentSince(ctx, day1.Add(25*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(byKey) != 2 || byKey["k_b"] != 0.000009 || byKey[spend.Anonymous] != 0.02125 || spend.Nanos(total) != 21259000 {
		t.Fatalf("SpentSince = %v, %v", byKey, total)
	}
	// A restart: counters restored from the database enforce the budget.
	b, err := spend.NewBudgets(spend.BudgetConfig{PerKeyUSD: 0.0008}, spend.NewMemoryCounter())
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Restore(ctx, s); err != nil {
		t.Fatal(err)
	}
	if got, _ := b.Spent(ctx, "k_a"); spend.Nanos(got) != 743500 {
		t.Fatalf("restored Spent(k_a) = %v", got)
	}
	if _, err := b.Reserve(ctx, "k_a", 0.0001); err == nil {
		t.Fatal("restored budget not enforced")
	}
}

// Records survive closing and reopening, and concurrent writers are
// group-committed without loss.
func TestDurableConcurrentRecords(t *testing.T) {
	s, path := openTemp(t)
	ctx := context.Background()
	const n = 300
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.Record(ctx, spend.Record{Time: day1, RequestID: fmt.Sprint(i), KeyID: "k", Model: "m", Policy: "p", Rule: "static", InputTokens: 1, CostUSD: 0.001, Status: "ok"})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Record(ctx, spend.Record{}); err == nil {
		t.Fatal("Record after Close succeeded")
	}
	s2, err := Open(ctx, path, Options{MustExist: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	rows, err := s2.Summary(ctx, spend.Query{GroupBy: spend.ByKey})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Requests != n || spend.Nanos(rows[0].CostUSD) != n*1_000_000 {
		t.Fatalf("after reopen: %+v", rows)
	}
	var mode string
	if err := s2.db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v", mode, err)
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if _, err := Open(ctx, filepath.Join(dir, "missing.db"), Options{MustExist: true}); err == nil || !strings.Contains(err.Error(), "missing.db") {
		t.Fatalf("missing db: %v", err)
	}
	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, []byte(strings.Repeat("not a database ", 100)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, garbage, Options{MustExist: true}); err == nil || !strings.Contains(err.Error(), "garbage.db") {
		t.Fatalf("garbage db: %v", err)
	}
	if _, err := Open(ctx, "", Options{}); err == nil {
		t.Fatal("empty path accepted")
	}
	if _, err := Open(ctx, filepath.Join(dir, "x.db"), Options{Synchronous: "OFF"}); err == nil || !strings.Contains(err.Error(), "synchronous") {
		t.Fatalf("bad synchronous: %v", err)
	}
	// A database from a newer llmrouter is refused, not rewritten.
	newer := filepath.Join(dir, "newer.db")
	db, err := sql.Open("sqlite", newer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(ctx, newer, Options{}); err == nil || !strings.Contains(err.Error(), "schema version 99 is newer") {
		t.Fatalf("newer schema: %v", err)
	}
}

func BenchmarkRecordParallel(b *testing.B) {
	s, err := Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	rec := spend.Record{RequestID: "r", KeyID: "k", Model: "gemini-2.5-flash", Policy: "Standard_Query", Rule: "static", InputTokens: 100, OutputTokens: 200, CostUSD: 0.0005, Status: "ok"}
	b.SetParallelism(16) // many in-flight requests, as in the gateway
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := s.Record(context.Background(), rec); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkRecordSerial(b *testing.B) {
	s, err := Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	rec := spend.Record{RequestID: "r", KeyID: "k", Model: "gemini-2.5-flash", Policy: "Standard_Query", Rule: "static", InputTokens: 100, OutputTokens: 200, CostUSD: 0.0005, Status: "ok"}
	for b.Loop() {
		if err := s.Record(context.Background(), rec); err != nil {
			b.Fatal(err)
		}
	}
}
