package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"
)

// BenchmarkJSON runs the JSON section's steps as Go benchmarks, named
// step=<step>/impl=<hand|std|v2>, for benchstat:
//
//	go test -run '^$' -bench JSON -count 10 ./bench | benchstat -col /impl -
//
// step=gateway is one whole request through the in-process gateway.
func BenchmarkJSON(b *testing.B) {
	fx, err := loadJSONFixtures()
	if err != nil {
		b.Fatal(err)
	}
	for _, st := range jsonSteps(fx) {
		for _, impl := range implKeys {
			if fn := st.ops[impl]; fn != nil {
				b.Run("step="+st.key+"/impl="+impl, func(b *testing.B) { benchCalls(b, fn) })
			}
		}
	}
	bn := &bench{opts: options{smoke: true, workDir: b.TempDir(), log: slog.New(slog.DiscardHandler), progress: io.Discard}}
	bn.data = newDataCache(bn.opts.workDir, bn.opts.log)
	h, body, err := bn.jsonGateway(context.Background(), fx)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("step=gateway/impl=built", func(b *testing.B) {
		benchCalls(b, func() error {
			if rec := serveOnce(h, body); rec.Code != http.StatusOK {
				b.Fatalf("status %d", rec.Code)
			}
			return nil
		})
	})
}

func benchCalls(b *testing.B, fn func() error) {
	b.ReportAllocs()
	for b.Loop() {
		if err := fn(); err != nil {
			b.Fatal(err)
		}
	}
}
