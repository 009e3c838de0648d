package replay

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter/internal/apierr"
	"github.com/llmrouter/llmrouter/internal/dataset"
	"github.com/llmrouter/llmrouter/internal/grade"
	"github.com/llmrouter/llmrouter/internal/provider"
)

var items = []dataset.RecordedItem{
	{ID: "mmlu-1", Benchmark: "mmlu", Prompt: "Which planet is largest?\nA. Mars\nB. Jupiter\nC. Venus\nD. Earth",
		CheapCorrect: false, StrongCorrect: true},
	{ID: "gsm8k-1", Benchmark: "gsm8k", Prompt: "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?",
		CheapCorrect: true, StrongCorrect: true, CheapResponse: "In May she sold 48/2 = 24. Total 48+24 = 72. #### 72",
		StrongResponse: "Natalia sold 48 + 24 = 72 clips.\n#### 72"},
	{ID: "mmlu-dup", Benchmark: "mmlu", Prompt: "Which  planet is largest?\nA. Mars\nB. Jupiter\nC. Venus\nD. Earth",
		CheapCorrect: true, StrongCorrect: false},
}

func req(model, q string) *provider.Request {
	return &provider.Request{Model: model, Messages: []provider.Message{{Role: "system", Content: "sys"}, {Role: "user", Content: q}}}
}

func TestComplete(t *testing.T) {
	p, err := New(items, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Len() != 2 {
		t.Fatalf("Len = %d, want 2 (duplicate prompt collapsed)", p.Len())
	}
	tests := []struct {
		name, model, q, want string
	}{
		{"mmlu cheap incorrect", CheapModel, items[0].Prompt, "(recorded outcome) INCORRECT"},
		{"mmlu strong correct", StrongModel, items[0].Prompt, "(recorded outcome) CORRECT"},
		{"whitespace normalised", StrongModel, "  Which planet   is largest?\r\nA. Mars B. Jupiter\tC. Venus\nD. Earth ", "(recorded outcome) CORRECT"},
		{"gsm8k cheap response", CheapModel, items[1].Prompt, items[1].CheapResponse},
		{"gsm8k strong response", StrongModel, items[1].Prompt, items[1].StrongResponse},
		{"wrapped in a template", CheapModel, "Answer the question.\n\nQuestion: " + items[1].Prompt + "\nAnswer:", items[1].CheapResponse},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := p.Complete(context.Background(), req(tc.model, tc.q))
			if err != nil {
				t.Fatal(err)
			}
			if r.Text != tc.want || r.FinishReason != "stop" || r.Model != tc.model {
				t.Errorf("got %+v, want text %q", r, tc.want)
			}
			if !r.Usage.Estimated || r.Usage.InputTokens == 0 || r.Usage.OutputTokens == 0 || r.Usage.Missing {
				t.Errorf("usage = %+v", r.Usage)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	p, _ := New(items, Options{})
	_, err := p.Complete(context.Background(), req("gemini-2.5-pro", items[0].Prompt))
	if apierr.CodeOf(err) != apierr.NotFound || !strings.Contains(err.Error(), "gemini-2.5-pro") {
		t.Errorf("unknown model: %v", err)
	}
	_, err = p.Complete(context.Background(), req(CheapModel, "What is the capital of Australia?"))
	if apierr.CodeOf(err) != apierr.NotFound || !strings.Contains(err.Error(), CheapModel) {
		t.Errorf("unknown prompt: %v", err)
	}
	if _, err := New(nil, Options{}); err == nil {
		t.Error("New(nil) succeeded")
	}
}

func TestStream(t *testing.T) {
	p, _ := New(items, Options{Chunks: 3})
	s, err := p.Stream(context.Background(), req(StrongModel, items[1].Prompt))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	var text strings.Builder
	var last provider.Chunk
	for {
		c, err := s.Recv()
		if err != nil {
			break
		}
		n++
		text.WriteString(c.Text)
		last = c
	}
	_ = s.Close()
	if text.String() != items[1].StrongResponse || n < 3 || last.FinishReason != "stop" || last.Usage == nil {
		t.Fatalf("chunks %d text %q last %+v", n, text.String(), last)
	}
}

func TestLatency(t *testing.T) {
	var waited time.Duration
	p, _ := New(items, Options{Latency: 100 * time.Millisecond, Sleep: func(ctx context.Context, d time.Duration) error {
		waited += d
		return nil
	}})
	r, err := p.Complete(context.Background(), req(CheapModel, items[0].Prompt))
	if err != nil || waited != 100*time.Millisecond || r.Latency < 100*time.Millisecond {
		t.Fatalf("err %v waited %v latency %v", err, waited, r.Latency)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p2, _ := New(items, Options{Latency: time.Hour})
	if _, err := p2.Complete(ctx, req(CheapModel, items[0].Prompt)); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled: %v", err)
	}
}

// TestEmbeddedData replays the real embedded recorded outcomes: every item
// is found, and the served answers agree with what was recorded.
func TestEmbeddedData(t *testing.T) {
	all, err := dataset.Recorded()
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(all, Options{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i := 0; i < len(all); i += 499 {
		it := all[i]
		k := Normalize(it.Prompt)
		if seen[k] {
			continue // a duplicated prompt serves its first item
		}
		seen[k] = true
		r, err := p.Complete(context.Background(), req(StrongModel, it.Prompt))
		if err != nil {
			t.Fatalf("%s: %v", it.ID, err)
		}
		if it.StrongResponse != "" {
			if r.Text != it.StrongResponse {
				t.Fatalf("%s: served a different response", it.ID)
			}
			continue
		}
		g, ok := grade.ParseRecordedOutcome(r.Text)
		if !ok || (g == grade.Correct) != it.StrongCorrect {
			t.Fatalf("%s: got %q, recorded strong_correct=%v", it.ID, r.Text, it.StrongCorrect)
		}
	}
}

var _ provider.Provider = (*Provider)(nil)
