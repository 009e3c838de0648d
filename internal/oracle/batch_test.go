package oracle

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter/internal/catalog"
	"github.com/llmrouter/llmrouter/internal/dataset"
	"github.com/llmrouter/llmrouter/internal/judge"
	"github.com/llmrouter/llmrouter/internal/provider"
	fake "github.com/llmrouter/llmrouter/internal/upstreamfake"
)

// keyedFake resolves catalogue entries and points every model at one fake.
type keyedFake struct {
	models map[string]catalog.Model
	base   string
}

func (k keyedFake) Get(model string) (provider.Provider, catalog.Model, error) {
	m, ok := k.models[model]
	if !ok {
		return nil, catalog.Model{}, fmt.Errorf("unknown model %q", model)
	}
	return nil, m, nil
}

func (k keyedFake) CheckKey(string) error { return nil }

func (k keyedFake) Endpoint(model string) (string, string, error) {
	if k.models[model].Provider == "openai" {
		return k.base + "/v1", "test-key", nil
	}
	return k.base, "test-key", nil
}

// TestBatchProviders: models are priced at their batch price, answer
// through the batch API, report job progress, and models without a batch
// price or API are refused with a message naming the setting.
func TestBatchProviders(t *testing.T) {
	bs := fake.NewBatch(t)
	reg := keyedFake{base: bs.URL, models: map[string]catalog.Model{
		"flash":  {Provider: "gemini", UpstreamModel: "gemini-2.5-flash", Price: catalog.Price{Input: 0.3, Output: 2.5}, BatchDiscount: 0.5},
		"mini":   {Provider: "openai", UpstreamModel: "gpt-4o-mini", Price: catalog.Price{Input: 0.15, Output: 0.6}, BatchDiscount: 0.5},
		"local":  {Provider: "openai", UpstreamModel: "llama", Price: catalog.Price{Input: 0.1, Output: 0.1}},
		"replay": {Provider: "replay", UpstreamModel: "x", Price: catalog.Price{Input: 1, Output: 1}, BatchDiscount: 0.5},
	}}
	var progress, logs bytes.Buffer
	dir := t.TempDir()
	bp, err := NewBatchProviders(reg, BatchOptions{OutputDir: dir, Window: 10 * time.Millisecond, Poll: 2 * time.Millisecond,
		Progress: &progress, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer bp.Close()
	for _, name := range []string{"flash", "mini"} {
		p, m, err := bp.Get(name)
		if err != nil {
			t.Fatal(err)
		}
		if want := reg.models[name].Price.Input / 2; m.Price.Input != want || m.Price.Output != reg.models[name].Price.Output/2 {
			t.Errorf("%s priced %+v, want half of %+v", name, m.Price, reg.models[name].Price)
		}
		resp, err := p.Complete(context.Background(), &provider.Request{Messages: []provider.Message{{Role: "user", Content: "hi"}}})
		if err != nil || !strings.HasSuffix(resp.Text, ": hi") {
			t.Fatalf("%s: %v %v", name, resp, err)
		}
	}
	if _, _, err := bp.Get("local"); err == nil || !strings.Contains(err.Error(), "batch_discount") {
		t.Errorf("local: %v, want a refusal naming batch_discount", err)
	}
	if _, _, err := bp.Get("replay"); err == nil || !strings.Contains(err.Error(), "no batch API") {
		t.Errorf("replay: %v, want a refusal", err)
	}
	for _, want := range []string{"batch gemini-2.5-flash batches/", "BATCH_STATE_SUCCEEDED, 1 requests: 1 succeeded", "batch gpt-4o-mini batch_", "completed"} {
		if !strings.Contains(progress.String(), want) {
			t.Errorf("progress lacks %q:\n%s", want, progress.String())
		}
	}
	if !strings.Contains(logs.String(), "oracle batch job") {
		t.Errorf("log lacks job status lines:\n%s", logs.String())
	}
	if data, err := os.ReadFile(filepath.Join(dir, BatchJournalFile)); err != nil || bytes.Count(data, []byte(`"event":"submitted"`)) != 2 {
		t.Errorf("batch journal: %v\n%s", err, data)
	}
}

// TestBatchInterrupt: Ctrl-C while the jobs run ends the run as an
// interruption once the grace period is over; the jobs stay journaled.
func TestBatchInterrupt(t *testing.T) {
	bs := fake.NewBatch(t, fake.WithBatchPlan(func(int) fake.BatchPlan { return fake.BatchPlan{Hold: true} }))
	reg := keyedFake{base: bs.URL, models: map[string]catalog.Model{
		"flash": {Provider: "gemini", UpstreamModel: "gemini-2.5-flash", Price: catalog.Price{Input: 0.3, Output: 2.5}, BatchDiscount: 0.5},
		"pro":   {Provider: "gemini", UpstreamModel: "gemini-2.5-pro", Price: catalog.Price{Input: 1.25, Output: 10}, BatchDiscount: 0.5},
	}}
	dir := t.TempDir()
	bp, err := NewBatchProviders(reg, BatchOptions{OutputDir: dir, Window: 10 * time.Millisecond, Poll: 2 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer bp.Close()
	items := []dataset.Item{{ID: "a", Problem: "What is 2+2?", Answer: "4"}, {ID: "b", Problem: "What is 3+3?", Answer: "6"}}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for len(bs.Jobs()) < 2 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	_, err = Run(ctx, Config{Items: items, Cheap: "flash", Strong: "pro", Judge: judge.Rule(nil), JudgeName: "rule",
		Providers: bp, OutputDir: dir, Concurrency: 8, Grace: 20 * time.Millisecond, Batch: true})
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("err = %v, want ErrInterrupted", err)
	}
	data, _ := os.ReadFile(filepath.Join(dir, BatchJournalFile))
	if bytes.Count(data, []byte(`"event":"submitted"`)) != 2 {
		t.Fatalf("batch journal:\n%s", data)
	}
}
