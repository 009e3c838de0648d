package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter/internal/spend"
	"github.com/llmrouter/llmrouter/internal/spend/spendsql"
	"github.com/llmrouter/llmrouter/internal/spend/spendtest"
)

func open(t *testing.T, url string, o Options) *Store {
	t.Helper()
	s, err := Open(context.Background(), url, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestReportsMatchRecords(t *testing.T) {
	s := open(t, spendtest.PostgresURL(t), Options{})
	recs := spendtest.Records(3000, 1)
	spendtest.Write(t, s, recs)
	spendtest.RunReports(t, s, recs)
}

func TestRetentionKeepsTotals(t *testing.T) {
	s := open(t, spendtest.PostgresURL(t), Options{Retention: 5 * 24 * time.Hour, PruneInterval: time.Hour})
	recs := spendtest.Records(1500, 2)
	spendtest.Write(t, s, recs)
	spendtest.RunPrune(t, s, recs)
}

// Two stores on one database, as two replicas: they migrate once, and
// every record either writes is in the reports of both, once.
func TestTwoReplicas(t *testing.T) {
	url := spendtest.PostgresURL(t)
	var stores [2]*Store
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for i := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := Open(context.Background(), url, Options{})
			if err != nil {
				errs <- err
				return
			}
			stores[i] = s
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	defer stores[0].Close()
	defer stores[1].Close()
	recs := spendtest.Records(4000, 3)
	ctx := context.Background()
	for i, r := range recs {
		if err := stores[i%2].Enqueue(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range stores {
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	want := spendtest.Format(spendtest.Expect(recs, spend.Query{GroupBy: spend.ByModel}))
	for i, s := range stores {
		rows, err := s.Summary(ctx, spend.Query{GroupBy: spend.ByModel})
		if err != nil {
			t.Fatal(err)
		}
		if got := spendtest.Format(rows); got != want {
			t.Errorf("replica %d sees\n%s\nwant\n%s", i, got, want)
		}
	}
}

func TestOpenErrorsHidePassword(t *testing.T) {
	const secret = "hunter2-secret"
	for _, u := range []string{
		"postgres://user:" + secret + "@127.0.0.1:1/db?sslmode=disable&connect_timeout=1",
		"postgres://user:" + secret + "@127.0.0.1:1/db?sslmode=bogus",
		"://user:" + secret + "@",
	} {
		_, err := Open(context.Background(), u, Options{})
		if err == nil {
			t.Fatalf("Open(%q) succeeded", strings.ReplaceAll(u, secret, "xxx"))
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error quotes the password: %v", err)
		}
		if errors.Unwrap(err) == nil && !strings.Contains(err.Error(), "postgres") {
			t.Errorf("error does not say what failed: %v", err)
		}
	}
}

func TestMigrationVersion(t *testing.T) {
	url := spendtest.PostgresURL(t)
	s := open(t, url, Options{})
	var v int
	if err := s.pool.QueryRow(context.Background(), "SELECT version FROM spend_schema").Scan(&v); err != nil || v != len(migrations) {
		t.Fatalf("version %d, %v; want %d", v, err, len(migrations))
	}
	if _, err := s.pool.Exec(context.Background(), fmt.Sprintf("UPDATE spend_schema SET version = %d", len(migrations)+1)); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), url, Options{}); err == nil || !strings.Contains(err.Error(), "newer than this llmrouter") {
		t.Fatalf("opening a newer schema: %v", err)
	}
}

func TestPruneWhileWriting(t *testing.T) {
	s := open(t, spendtest.PostgresURL(t), Options{Retention: 5 * 24 * time.Hour, Prune: spendsql.PruneOptions{Batch: 100, Pause: 30 * time.Millisecond}})
	old := spendtest.Records(1500, 6)
	spendtest.Write(t, s, old)
	spendtest.RunPruneWhileWriting(t, s, old)
}
