package sqlite

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter/internal/spend"
)

// Enqueued records are all committed by Close, with exact costs, even when
// far more are queued than one batch holds.
func TestEnqueueFlushesOnClose(t *testing.T) {
	s, path := openTemp(t)
	ctx := context.Background()
	const writers, each = 8, 500
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				errs <- s.Enqueue(ctx, spend.Record{Time: day1, RequestID: fmt.Sprint(w, "-", i), KeyID: "k", Model: "m",
					Policy: "p", Rule: "static", InputTokens: 1, CostUSD: 0.001, Status: "ok"})
			}
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
	if err := s.Enqueue(ctx, spend.Record{}); err == nil {
		t.Fatal("Enqueue after Close succeeded")
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
	const n = writers * each
	if len(rows) != 1 || rows[0].Requests != n || spend.Nanos(rows[0].CostUSD) != n*1_000_000 {
		t.Fatalf("after reopen: %+v, want %d requests costing %d nanos", rows, n, n*1_000_000)
	}
	if s.Lost() != 0 {
		t.Fatalf("Lost() = %d", s.Lost())
	}
}

// A batch that cannot be written is retried, then every record in it is
// counted and logged with what is needed to charge it by hand.
func TestEnqueueFailureIsLogged(t *testing.T) {
	var logs syncBuf
	path := filepath.Join(t.TempDir(), "spend.db")
	s, err := Open(context.Background(), path, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Exec("DROP TABLE requests"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range 3 {
		if err := s.Enqueue(ctx, spend.Record{Time: day1, RequestID: fmt.Sprint("req-", i), KeyID: "k", Model: "m", CostUSD: 0.25, Status: "ok"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s.Lost() != 3 {
		t.Fatalf("Lost() = %d, want 3", s.Lost())
	}
	out := logs.String()
	for i := range 3 {
		if !strings.Contains(out, fmt.Sprintf("request_id=req-%d", i)) {
			t.Errorf("lost record req-%d not logged:\n%s", i, out)
		}
	}
	if !strings.Contains(out, "cost_usd=0.25") || !strings.Contains(out, "retrying") {
		t.Errorf("log lacks the cost or the retry:\n%s", out)
	}
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func BenchmarkEnqueueParallel(b *testing.B) {
	s, err := Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	rec := spend.Record{RequestID: "r", KeyID: "k", Model: "gemini-2.5-flash", Policy: "Standard_Query", Rule: "static", InputTokens: 100, OutputTokens: 200, CostUSD: 0.0005, Status: "ok"}
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := s.Enqueue(context.Background(), rec); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// Flush makes every record queued before it visible to another reader.
func TestFlush(t *testing.T) {
	s, path := openTemp(t)
	ctx := context.Background()
	for i := range 50 {
		if err := s.Enqueue(ctx, spend.Record{Time: day1, RequestID: fmt.Sprint(i), KeyID: "k", CostUSD: 0.5, Status: "ok"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	reader, err := Open(ctx, path, Options{MustExist: true})
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	_, total, err := reader.SpentSince(ctx, time.Time{})
	if err != nil || total != 25 {
		t.Fatalf("after Flush another reader sees $%v, %v; want $25", total, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatalf("Flush after Close: %v", err)
	}
}
