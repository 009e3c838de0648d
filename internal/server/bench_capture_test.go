package server

import (
	"context"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter/internal/capture"
)

// BenchmarkCaptureOverhead measures a routed request through the full
// handler (benchServer's setup: instant upstream, in-memory budgets,
// no-op store) with capture off and on, in the same run, so the ratio of
// the on cases to "off" is capture's cost. Besides wall time per request
// it reports cpu-ns/op, the process's CPU time (user + system, every
// goroutine: the background writer's encoding and writes included) per
// request, which a busy machine inflates far less than wall time.
func BenchmarkCaptureOverhead(b *testing.B) {
	for _, tc := range []struct {
		name string
		cfg  *capture.Config
	}{
		{"off", nil},
		{"on", &capture.Config{}},
		{"on-full-redact", &capture.Config{Conversation: capture.Full, Redact: []string{`sk-[A-Za-z0-9]{16,}`, `\b\d{3}-\d{2}-\d{4}\b`}}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			srv, w := captureBenchServer(b, tc.cfg)
			body := `{"model":"router","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"What is the capital of France?"}],"max_tokens":64}`
			h := srv.Handler()
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cpuTime()
			loopChat(b, h, body)
			if w != nil {
				// Written rows are part of the cost: wait for the writer.
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				if err := w.Close(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
			if w == nil {
				return
			}
			st := w.Stats()
			if st.Written+st.Dropped != uint64(b.N) {
				b.Fatalf("stats %+v for %d requests", st, b.N)
			}
			b.ReportMetric(float64(st.Dropped)/float64(b.N), "dropped/op")
		})
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// captureBenchServer is benchServer with a capture writer when cfg is set.
func captureBenchServer(b *testing.B, cc *capture.Config) (*Server, *capture.Writer) {
	b.Helper()
	cfg, deps := benchSetup(b, "")
	var w *capture.Writer
	var err error
	if cc != nil {
		c := *cc
		c.Path = filepath.Join(b.TempDir(), "captured.jsonl")
		cfg.Capture = c
		if w, err = capture.New(c, deps.Logger); err != nil {
			b.Fatal(err)
		}
		deps.Capture = w
	}
	srv, err := New(cfg, deps)
	if err != nil {
		b.Fatal(err)
	}
	return srv, w
}
