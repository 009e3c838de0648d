package oracle

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/llmrouter/llmrouter/internal/catalog"
	"github.com/llmrouter/llmrouter/internal/dataset"
	"github.com/llmrouter/llmrouter/internal/judge"
	"github.com/llmrouter/llmrouter/internal/provider"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeUpstream serves every fake model, counting calls per (model, prompt)
// and the peak number in flight.
type fakeUpstream struct {
	latency time.Duration
	// answer decides the reply; nil means fakeAnswer.
	answer func(model, prompt string) (string, error)
	// onCall runs after the n-th call started (1-based), e.g. to cancel.
	onCall func(n int)

	mu          sync.Mutex
	calls       map[string]int
	total       int
	inflight    int
	maxInflight int
}

func newFakeUpstream() *fakeUpstream { return &fakeUpstream{calls: map[string]int{}} }

func (f *fakeUpstream) count(model, prompt string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[model+"\x00"+prompt]
}

func (f *fakeUpstream) snapshot() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]int, len(f.calls))
	for k, v := range f.calls {
		out[k] = v
	}
	return out
}

type fakeProvider struct {
	up    *fakeUpstream
	model string
}

var _ provider.Provider = fakeProvider{}

func (p fakeProvider) Complete(ctx context.Context, req *provider.Request) (*provider.Response, error) {
	if req.Model != p.model {
		return nil, fmt.Errorf("request for model %q sent to %q", req.Model, p.model)
	}
	prompt := req.Messages[len(req.Messages)-1].Content
	f := p.up
	f.mu.Lock()
	f.calls[p.model+"\x00"+prompt]++
	f.total++
	n := f.total
	f.inflight++
	if f.inflight > f.maxInflight {
		f.maxInflight = f.inflight
	}
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inflight--
		f.mu.Unlock()
	}()
	if f.onCall != nil {
		f.onCall(n)
	}
	if f.latency > 0 {
		t := time.NewTimer(f.latency)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	answer := f.answer
	if answer == nil {
		answer = fakeAnswer
	}
	text, err := answer(p.model, prompt)
	if err != nil {
		return nil, err
	}
	return &provider.Response{
		Text:    text,
		Usage:   provider.Usage{InputTokens: len(prompt) / 4, OutputTokens: len(text) / 4, ThinkingTokens: 3},
		Latency: 7 * time.Millisecond, // fixed, so datasets compare byte for byte
		Model:   p.model,
	}, nil
}

func (fakeProvider) Stream(context.Context, *provider.Request) (provider.Stream, error) {
	return nil, errors.New("fake: streaming not used")
}

// fakeRegistry resolves any model name to a fakeProvider on up.
type fakeRegistry struct{ up *fakeUpstream }

func (r fakeRegistry) Get(model string) (provider.Provider, catalog.Model, error) {
	if strings.HasPrefix(model, "unknown") {
		return nil, catalog.Model{}, fmt.Errorf("unknown model %q", model)
	}
	return fakeProvider{r.up, model}, catalog.Model{Provider: "openai", UpstreamModel: model, Price: catalog.Price{Input: 1, Output: 4}}, nil
}

// testItems are sums whose answers the fake models get right or wrong by
// index, so every matrix row gets examples.
func testItems(n int) []dataset.Item {
	items := make([]dataset.Item, n)
	for i := range items {
		items[i] = dataset.Item{ID: fmt.Sprintf("q-%03d", i), Problem: fmt.Sprintf("What is %d plus %d?", i, 2*i),
			Answer: fmt.Sprint(3 * i), Benchmark: "gsm8k", Topic: []string{"a", "b"}[i%2]}
	}
	return items
}

// fakeAnswer: cheap is right unless i%3==0, strong unless i%5==0; either
// declines when i%7==0.
func fakeAnswer(model, prompt string) (string, error) {
	var a, b int
	if _, err := fmt.Sscanf(prompt, "What is %d plus %d?", &a, &b); err != nil {
		return "", fmt.Errorf("fake: unexpected prompt %q", prompt)
	}
	wrong := (model == "cheap-m" && a%3 == 0) || (model == "strong-m" && a%5 == 0)
	sum := a + b
	if wrong {
		sum++
	}
	switch {
	case a%7 == 0 && model == "cheap-m":
		return "I'm not sure.", nil
	case model == "strong-m":
		// Phrased differently from cheap, so the two blind grading prompts
		// differ and the fake can tell the calls apart.
		return fmt.Sprintf("Adding %d and %d gives %d.\n#### %d", a, b, sum, sum), nil
	}
	return fmt.Sprintf("%d + %d = %d\n#### %d", a, b, sum, sum), nil
}

// fakeJudgeAnswer plays an LLM judge: it reads the gold target and the
// answer out of the rubric prompt and replies with one letter.
func fakeJudgeAnswer(_, prompt string) (string, error) {
	_, rest, ok := strings.Cut(prompt, "Gold target:\n")
	if !ok {
		return "", errors.New("fake judge: no gold in prompt")
	}
	gold, rest, _ := strings.Cut(rest, "\n\nAnswer to grade:\n")
	ans, _, _ := strings.Cut(rest, "\n\nReply with")
	switch {
	case strings.HasSuffix(ans, "#### "+gold):
		return "A", nil
	case strings.Contains(ans, "####"):
		return "B", nil
	}
	return "C", nil
}

func routeFake(model, prompt string) (string, error) {
	if model == "judge-m" && strings.HasPrefix(prompt, "You compare two answers") {
		return "C", nil // the pairwise judge: a tie
	}
	if model == "judge-m" {
		return fakeJudgeAnswer(model, prompt)
	}
	return fakeAnswer(model, prompt)
}

func llmJudge(up *fakeUpstream) judge.Judge {
	p, m, _ := fakeRegistry{up}.Get("judge-m")
	return judge.NewLLM(p, m)
}

func baseConfig(t testing.TB, up *fakeUpstream, items []dataset.Item, dir string) Config {
	t.Helper()
	return Config{
		Items: items, Cheap: "cheap-m", Strong: "strong-m",
		Judge: llmJudge(up), JudgeName: "judge-m",
		Providers: fakeRegistry{up}, OutputDir: dir, Concurrency: 4,
	}
}
