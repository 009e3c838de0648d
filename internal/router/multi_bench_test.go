package router

import (
	"context"
	"testing"
)

// BenchmarkMultiRoute is one N-model decision with its three candidates'
// estimates, as the gateway makes it per request.
func BenchmarkMultiRoute(b *testing.B) {
	m := trainMultiModel(b, multiRows(400, 1))
	q := "In which year was treaty number 7 of the old kingdom signed?"
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Route(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
}
