package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter/internal/dataset"
)

func TestBuildRecorded(t *testing.T) {
	items, st, err := buildRecorded(filepath.Join("testdata", "routellm"))
	if err != nil {
		t.Fatal(err)
	}
	want := []dataset.RecordedItem{
		{ID: "mmlu-anatomy-0000", Benchmark: "mmlu", Subject: "anatomy", Prompt: "Which organ filters blood?\nA. Heart\nB. Kidney\nAnswer:", StrongCorrect: true},
		{ID: "mmlu-anatomy-0001", Benchmark: "mmlu", Subject: "anatomy", Prompt: "Q2, with comma\nAnswer:", CheapCorrect: true, StrongCorrect: true},
		{ID: "mmlu-astronomy-0000", Benchmark: "mmlu", Subject: "astronomy", Prompt: "What is a star?", CheapCorrect: true},
		{ID: "gsm8k-0000", Benchmark: "gsm8k", Prompt: "Two plus two?", Gold: "4", CheapCorrect: true, StrongCorrect: true},
		{ID: "gsm8k-0001", Benchmark: "gsm8k", Prompt: "Ten minus one?"},
		{ID: "gsm8k-0002", Benchmark: "gsm8k", Prompt: "Cost of 3 at $1,000?", Gold: "3000", StrongCorrect: true},
	}
	if len(items) != len(want) {
		t.Fatalf("got %d items, want %d", len(items), len(want))
	}
	for i := range want {
		got := items[i]
		got.CheapResponse, got.StrongResponse = "", ""
		if got != want[i] {
			t.Errorf("item %d:\n got %+v\nwant %+v", i, got, want[i])
		}
	}
	if items[3].CheapResponse == "" || items[3].StrongResponse == "" {
		t.Error("gsm8k responses not kept")
	}
	if st.bothCorrect != 1 || st.agree != 1 || st.withGold != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestBuildRecordedErrors(t *testing.T) {
	_, _, err := buildRecorded(filepath.Join("testdata", "bad"))
	if err == nil || !strings.Contains(err.Error(), "mmlu_x.csv:2: gpt-4-1106-preview") {
		t.Fatalf("err = %v", err)
	}
	_, _, err = buildRecorded(t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "no mmlu_*.csv") {
		t.Fatalf("err = %v", err)
	}
}

func TestWriteGzipReproducible(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.gz"), filepath.Join(dir, "b.gz")
	data := []byte(strings.Repeat("hello, reproducible world\n", 100))
	if err := writeGzip(a, data); err != nil {
		t.Fatal(err)
	}
	if err := writeGzip(b, data); err != nil {
		t.Fatal(err)
	}
	ba, _ := os.ReadFile(a)
	bb, _ := os.ReadFile(b)
	if !bytes.Equal(ba, bb) {
		t.Fatal("two runs wrote different bytes")
	}
	zr, err := gzip.NewReader(bytes.NewReader(ba))
	if err != nil {
		t.Fatal(err)
	}
	if !zr.ModTime.IsZero() || zr.Name != "" {
		t.Fatalf("header has mtime %v name %q", zr.ModTime, zr.Name)
	}
	got, _ := io.ReadAll(zr)
	if !bytes.Equal(got, data) {
		t.Fatal("round trip changed the data")
	}
}
