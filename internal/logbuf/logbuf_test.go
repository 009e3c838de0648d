package logbuf

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// lockedBuf records what reaches the underlying writer, and in how many
// writes.
type lockedBuf struct {
	mu     sync.Mutex
	b      bytes.Buffer
	writes int
	err    error
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.writes++
	if l.err != nil {
		return 0, l.err
	}
	return l.b.Write(p)
}

func (l *lockedBuf) snapshot() (string, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String(), l.writes
}

func TestBatchesUntilFlush(t *testing.T) {
	defer goleak.VerifyNone(t)
	var out lockedBuf
	w := New(&out, time.Hour, 1<<16)
	for i := range 100 {
		fmt.Fprintf(w, "line %d\n", i)
	}
	if got, n := out.snapshot(); got != "" || n != 0 {
		t.Fatalf("wrote %d times before any flush: %q", n, got)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	got, n := out.snapshot()
	if n != 1 || strings.Count(got, "\n") != 100 || !strings.HasPrefix(got, "line 0\n") || !strings.HasSuffix(got, "line 99\n") {
		t.Fatalf("after Flush: %d writes, %d lines", n, strings.Count(got, "\n"))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestFlushesOnTimer(t *testing.T) {
	defer goleak.VerifyNone(t)
	var out lockedBuf
	w := New(&out, 5*time.Millisecond, 1<<16)
	defer w.Close()
	fmt.Fprintln(w, "hello")
	deadline := time.Now().Add(10 * time.Second)
	for {
		if got, _ := out.snapshot(); got == "hello\n" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the timer never flushed")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestFullBufferWritesThroughInOrder(t *testing.T) {
	defer goleak.VerifyNone(t)
	var out lockedBuf
	w := New(&out, time.Hour, 4096)
	line := strings.Repeat("x", 1000) + "\n"
	for range 10 {
		_, _ = w.Write([]byte(line))
	}
	big := strings.Repeat("y", 5000) + "\n" // larger than the buffer
	_, _ = w.Write([]byte(big))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, n := out.snapshot()
	if got != strings.Repeat(line, 10)+big {
		t.Fatalf("output reordered or lost: %d bytes", len(got))
	}
	if n < 3 || n > 5 {
		t.Fatalf("%d writes; want the buffer flushed when full, not per line", n)
	}
}

func TestWritesAfterCloseGoThrough(t *testing.T) {
	defer goleak.VerifyNone(t)
	var out lockedBuf
	w := New(&out, time.Hour, 1<<16)
	fmt.Fprintln(w, "before")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(w, "after")
	if got, _ := out.snapshot(); got != "before\nafter\n" {
		t.Fatalf("got %q", got)
	}
	if err := w.Close(); err != nil { // idempotent
		t.Fatal(err)
	}
}

func TestUnbufferedWhenIntervalIsZero(t *testing.T) {
	defer goleak.VerifyNone(t)
	var out lockedBuf
	w := New(&out, 0, 0)
	fmt.Fprintln(w, "a")
	fmt.Fprintln(w, "b")
	if got, n := out.snapshot(); got != "a\nb\n" || n != 2 {
		t.Fatalf("got %q in %d writes", got, n)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestReportsWriteError(t *testing.T) {
	defer goleak.VerifyNone(t)
	out := lockedBuf{err: errors.New("disk full")}
	w := New(&out, time.Hour, 1<<16)
	fmt.Fprintln(w, "x")
	if err := w.Close(); err == nil || err.Error() != "disk full" {
		t.Fatalf("Close = %v, want the write error", err)
	}
}

func TestConcurrentWritersKeepLinesWhole(t *testing.T) {
	defer goleak.VerifyNone(t)
	var out lockedBuf
	w := New(&out, time.Millisecond, 4096)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				fmt.Fprintf(w, "g%d-%d %s\n", g, i, strings.Repeat("z", 40))
			}
		}()
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, _ := out.snapshot()
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if len(lines) != 8*500 {
		t.Fatalf("%d lines, want %d", len(lines), 8*500)
	}
	for _, l := range lines {
		if !strings.HasSuffix(l, strings.Repeat("z", 40)) {
			t.Fatalf("torn line %q", l)
		}
	}
}

func BenchmarkWrite(b *testing.B) {
	line := []byte(`{"time":"2026-11-26T00:00:00Z","level":"INFO","msg":"chat completion","request_id":"chatcmpl-0123456789abcdef01234567","policy":"Standard_Query"}` + "\n")
	for _, tc := range []struct {
		name     string
		interval time.Duration
	}{{"direct", 0}, {"batched", 100 * time.Millisecond}} {
		b.Run(tc.name, func(b *testing.B) {
			f, err := os.CreateTemp(b.TempDir(), "log")
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			w := New(f, tc.interval, 64<<10)
			defer w.Close()
			b.ReportAllocs()
			for b.Loop() {
				_, _ = w.Write(line)
			}
		})
	}
}
