package capture

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkAdd is the request path's share of capture, Add from every CPU
// at once, against a baseline that only builds the row. "queue" has no
// writer running and room for every row, so it is Add alone (hash, lock,
// append); "running" has the writer encoding and writing alongside, and
// far above any gateway's request rate it falls behind, so most rows take
// the drop path (dropped/op says how many).
func BenchmarkAdd(b *testing.B) {
	ids := make([]string, 1024)
	for i := range ids {
		ids[i] = fmt.Sprintf("chatcmpl-%024x", i)
	}
	for _, mode := range []string{"row-only", "queue", "running"} {
		b.Run(mode, func(b *testing.B) {
			cfg := Config{Path: filepath.Join(b.TempDir(), "c.jsonl")}
			var w *Writer
			var err error
			if mode == "running" {
				w, err = New(cfg, nil)
			} else {
				cfg.QueueSize = b.N + 1
				w, err = newWriter(cfg, nil)
				w.queue = make([]Row, 0, b.N+1)
			}
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					i++
					r := row(ids[i%len(ids)], "What is the capital of France?")
					if mode != "row-only" {
						w.Add(r)
					} else if r.ID == "" {
						b.Fatal("empty id")
					}
				}
			})
			b.StopTimer()
			if mode != "running" {
				if got := len(w.queue); mode == "queue" && got != b.N {
					b.Fatalf("%d rows queued of %d", got, b.N)
				}
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := w.Close(ctx); err != nil {
				b.Fatal(err)
			}
			s := w.Stats()
			if s.Written+s.Dropped != uint64(b.N) {
				b.Fatalf("stats %+v for %d rows", s, b.N)
			}
			b.ReportMetric(float64(s.Dropped)/float64(b.N), "dropped/op")
		})
	}
}

// BenchmarkEncode is the writer's per-row work: redact (no patterns) and
// encode one typical row.
func BenchmarkEncode(b *testing.B) {
	w, err := newWriter(Config{Path: "unused"}, nil)
	if err != nil {
		b.Fatal(err)
	}
	r := row("chatcmpl-0123456789abcdef01234567", "What is the capital of France? Answer in one word, please.")
	score := 0.42
	r.Score, r.RouterVersion = &score, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	b.ReportAllocs()
	var out []byte
	for b.Loop() {
		out = w.appendRow(out[:0], &r)
	}
	b.SetBytes(int64(len(out)))
}
