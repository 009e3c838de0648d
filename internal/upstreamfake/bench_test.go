package upstreamfake

import (
	"io"
	"testing"
	"time"
)

// BenchmarkFake measures the fake's own cost per call, the floor under
// any "direct to upstream" latency a gateway benchmark reports.
func BenchmarkFake(b *testing.B) {
	for _, tg := range targets {
		b.Run(tg.name, func(b *testing.B) {
			s := New(b)
			c := client(b, 5*time.Second)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					resp, err := post(b.Context(), c, s, tg)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			})
		})
	}
}
