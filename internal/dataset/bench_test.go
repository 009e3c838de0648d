package dataset

import (
	"bytes"
	"compress/gzip"
	"testing"

	"github.com/llmrouter/llmrouter/internal/jsonl"
)

// BenchmarkDecodeRecorded measures the one-time cost of Recorded().
func BenchmarkDecodeRecorded(b *testing.B) {
	for b.Loop() {
		zr, err := gzip.NewReader(bytes.NewReader(recordedGz))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := jsonl.Decode[RecordedItem](zr, "recorded"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSplitRecorded(b *testing.B) {
	items, err := RecordedItems("recorded")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		Split(items, 0.8, 42)
	}
}

func BenchmarkEmbeddedSimpleQAParse(b *testing.B) {
	raw, err := EmbeddedSimpleQACSV()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := LoadSimpleQACSV(bytes.NewReader(raw), "simpleqa"); err != nil {
			b.Fatal(err)
		}
	}
}
