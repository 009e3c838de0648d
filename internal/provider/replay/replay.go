// Package replay serves recorded model outcomes (the embedded lm-sys/RouteLLM
// evaluation data) as if they came from live models, so the whole pipeline
// runs offline on real results. A request is matched to its recorded
// question by the whitespace-normalised text of its last user message.
package replay

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/llmrouter/llmrouter/internal/apierr"
	"github.com/llmrouter/llmrouter/internal/dataset"
	"github.com/llmrouter/llmrouter/internal/grade"
	"github.com/llmrouter/llmrouter/internal/provider"
)

// Upstream model ids of the two recorded models, as the catalogue names
// them in upstream_model.
const (
	CheapModel  = "mistralai/Mixtral-8x7B-Instruct-v0.1"
	StrongModel = "gpt-4-1106-preview"
)

// Normalize collapses all whitespace runs to one space and trims, the form
// prompts are matched in.
func Normalize(s string) string { return strings.Join(strings.Fields(s), " ") }

// Options configures a Provider.
type Options struct {
	// CheapModel and StrongModel override the upstream model ids served
	// (defaults: the package constants).
	CheapModel, StrongModel string
	// Latency is a simulated per-call delay (0: answer at once).
	Latency time.Duration
	// Sleep waits honouring ctx; nil uses provider.SleepContext.
	Sleep func(ctx context.Context, d time.Duration) error
	// Chunks is how many pieces Stream splits an answer into (default 4).
	Chunks int
}

// Provider answers from recorded outcomes. It is safe for concurrent use.
type Provider struct {
	opts     Options
	byPrompt map[string]*dataset.RecordedItem
	// prompts lists normalised prompts longest first, for the
	// containment fallback.
	prompts []string
}

var _ provider.Provider = (*Provider)(nil)

// New indexes items by normalised prompt. Where two items share a prompt the
// first wins, so results do not depend on map order.
func New(items []dataset.RecordedItem, opts Options) (*Provider, error) {
	if len(items) == 0 {
		return nil, fmt.Errorf("replay: no recorded items")
	}
	if opts.CheapModel == "" {
		opts.CheapModel = CheapModel
	}
	if opts.StrongModel == "" {
		opts.StrongModel = StrongModel
	}
	if opts.Sleep == nil {
		opts.Sleep = provider.SleepContext
	}
	if opts.Chunks <= 0 {
		opts.Chunks = 4
	}
	p := &Provider{opts: opts, byPrompt: make(map[string]*dataset.RecordedItem, len(items))}
	for i := range items {
		k := Normalize(items[i].Prompt)
		if k == "" {
			continue
		}
		if _, dup := p.byPrompt[k]; !dup {
			p.byPrompt[k] = &items[i]
			p.prompts = append(p.prompts, k)
		}
	}
	sort.SliceStable(p.prompts, func(a, b int) bool { return len(p.prompts[a]) > len(p.prompts[b]) })
	return p, nil
}

// Len is the number of distinct recorded prompts.
func (p *Provider) Len() int { return len(p.byPrompt) }

func lastUser(msgs []provider.Message) string {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == "user" {
			return msgs[i].Content
		}
	}
	return ""
}

// lookup finds the recorded item for q: an exact normalised match, else the
// longest recorded prompt that q contains (a caller may wrap the question in
// an instruction template).
func (p *Provider) lookup(q string) *dataset.RecordedItem {
	k := Normalize(q)
	if it, ok := p.byPrompt[k]; ok {
		return it
	}
	for _, pr := range p.prompts {
		if len(pr) > len(k) {
			continue
		}
		if len(pr) >= 32 && strings.Contains(k, pr) {
			return p.byPrompt[pr]
		}
	}
	return nil
}

// answer returns the recorded answer text for the requested model.
func (p *Provider) answer(req *provider.Request) (string, error) {
	strong := false
	switch req.Model {
	case p.opts.CheapModel:
	case p.opts.StrongModel:
		strong = true
	default:
		return "", apierr.New(apierr.NotFound, "replay: no recorded outcomes for model %q (have %q and %q)",
			req.Model, p.opts.CheapModel, p.opts.StrongModel)
	}
	q := lastUser(req.Messages)
	it := p.lookup(q)
	if it == nil {
		return "", apierr.New(apierr.NotFound, "replay: %s: no recorded outcome for prompt %q", req.Model, preview(q))
	}
	resp, correct := it.CheapResponse, it.CheapCorrect
	if strong {
		resp, correct = it.StrongResponse, it.StrongCorrect
	}
	if strings.TrimSpace(resp) != "" {
		return resp, nil
	}
	return grade.RecordedOutcome(correct), nil
}

func preview(s string) string {
	s = Normalize(s)
	if r := []rune(s); len(r) > 60 {
		return string(r[:60]) + "…"
	}
	return s
}

// Complete returns the recorded answer.
func (p *Provider) Complete(ctx context.Context, req *provider.Request) (*provider.Response, error) {
	text, err := p.answer(req)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	if p.opts.Latency > 0 {
		if err := p.opts.Sleep(ctx, p.opts.Latency); err != nil {
			return nil, apierr.Wrap(apierr.Timeout, err, "replay: %s: canceled", req.Model)
		}
	}
	return &provider.Response{Text: text, FinishReason: "stop", Model: req.Model,
		Usage: provider.EstimateUsage(req, text, nil), Latency: max(time.Since(start), p.opts.Latency)}, nil
}

// Stream returns the recorded answer in a few chunks.
func (p *Provider) Stream(ctx context.Context, req *provider.Request) (provider.Stream, error) {
	resp, err := p.Complete(ctx, req)
	if err != nil {
		return nil, err
	}
	parts := split(resp.Text, p.opts.Chunks)
	chunks := make([]provider.Chunk, 0, len(parts)+1)
	for _, s := range parts {
		chunks = append(chunks, provider.Chunk{Text: s})
	}
	u := resp.Usage
	chunks = append(chunks, provider.Chunk{FinishReason: resp.FinishReason, Usage: &u})
	return &stream{ctx: ctx, chunks: chunks}, nil
}

// split cuts s into at most n pieces at word boundaries; joined they equal s.
func split(s string, n int) []string {
	if s == "" {
		return nil
	}
	size := (len(s) + n - 1) / n
	var out []string
	for len(s) > 0 {
		if len(s) <= size {
			out = append(out, s)
			break
		}
		cut := strings.IndexByte(s[size:], ' ')
		if cut < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:size+cut+1])
		s = s[size+cut+1:]
	}
	return out
}

type stream struct {
	ctx    context.Context
	chunks []provider.Chunk
	closed bool
}

func (s *stream) Recv() (provider.Chunk, error) {
	if s.closed {
		return provider.Chunk{}, apierr.New(apierr.Internal, "replay: stream used after Close")
	}
	if err := s.ctx.Err(); err != nil {
		return provider.Chunk{}, apierr.Wrap(apierr.Timeout, err, "replay: stream canceled")
	}
	if len(s.chunks) == 0 {
		return provider.Chunk{}, io.EOF
	}
	c := s.chunks[0]
	s.chunks = s.chunks[1:]
	return c, nil
}

func (s *stream) Close() error {
	s.closed = true
	return nil
}

// Lazy returns a constructor for the replay provider over the embedded
// recorded benchmark, for registry.Options.Replay: the data is decoded only
// when a replayed model is first used.
func Lazy(opts Options) func() (provider.Provider, error) {
	return func() (provider.Provider, error) {
		items, err := dataset.Recorded()
		if err != nil {
			return nil, fmt.Errorf("recorded data: %w", err)
		}
		return New(items, opts)
	}
}
