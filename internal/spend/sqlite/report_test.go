package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter/internal/spend/spendsql"
	"github.com/llmrouter/llmrouter/internal/spend/spendtest"
)

func TestReportsMatchRecords(t *testing.T) {
	s, _ := openTemp(t)
	recs := spendtest.Records(3000, 1)
	spendtest.Write(t, s, recs)
	spendtest.RunReports(t, s, recs)
}

func TestRetentionKeepsTotals(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spend.db")
	s, err := Open(context.Background(), path, Options{Retention: 5 * 24 * time.Hour, PruneInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	recs := spendtest.Records(1500, 2)
	spendtest.Write(t, s, recs)
	spendtest.RunPrune(t, s, recs)
}

func TestPruneWhileWriting(t *testing.T) {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "spend.db"),
		Options{Retention: 5 * 24 * time.Hour, Prune: spendsql.PruneOptions{Batch: 100, Pause: 30 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	old := spendtest.Records(1500, 6)
	spendtest.Write(t, s, old)
	spendtest.RunPruneWhileWriting(t, s, old)
}
