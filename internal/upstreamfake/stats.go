package upstreamfake

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"time"
)

// PromptKey identifies a prompt sent to a model.
type PromptKey struct {
	Model string
	Hash  string // Request.Hash / PromptHash
}

// Call is the record of one HTTP call, kept in arrival order.
type Call struct {
	Index    int
	Protocol Protocol
	Model    string // "" if the request could not be parsed
	Stream   bool
	Hash     string
	// LastUser is the last user message's text.
	LastUser string
	// Fault is Fault.Label(), or "auth", "bad_request", "unknown_model",
	// "rate_limited" for calls refused before the script ran.
	Fault string
	// Status is the HTTP status sent, 0 if none (reset, hang).
	Status int
	// Served is true when a complete, well-formed answer was written.
	Served bool
	// Usage is what the response reported (zero when it reported none).
	Usage      Usage
	Start, End time.Time
}

// Stats is a snapshot of the fake's counters.
type Stats struct {
	Calls       int
	InFlight    int
	MaxInFlight int
	ByModel     map[string]int
	ByFault     map[string]int
	// ByPrompt counts every call per prompt; ServedByPrompt only complete
	// answers. A retry after a fault is a repeat in ByPrompt but not in
	// ServedByPrompt, so the latter proves no answer was fetched twice.
	ByPrompt       map[PromptKey]int
	Served         int
	ServedByPrompt map[PromptKey]int
	// Usage is the sum of usage reported in complete answers: what a
	// client's spend accounting should add up to.
	Usage Usage
	// Unreported is the usage of complete answers that carried no usage
	// (Kind NoUsage, or an OpenAI stream without include_usage).
	Unreported Usage
}

type statsState struct {
	mu sync.Mutex
	s  Stats
	// calls is the full log; indexes hold each call's slot.
	calls []Call
	// countersOnly keeps memory flat over long runs: no call log, no
	// per-prompt maps (Calls, CallsFor and Repeats then report nothing).
	countersOnly bool
}

// WithCountersOnly keeps only the aggregate counters, not the per-call log
// or per-prompt counts, so a soak test can measure the heap of the code
// under test without the fake's own memory growing with every call.
func WithCountersOnly() Option { return func(c *config) { c.countersOnly = true } }

func (st *statsState) init() {
	st.s = Stats{ByModel: map[string]int{}, ByFault: map[string]int{}, ByPrompt: map[PromptKey]int{}, ServedByPrompt: map[PromptKey]int{}}
}

// begin registers a new call and returns its index.
func (st *statsState) begin(p Protocol, now time.Time) int {
	st.mu.Lock()
	defer st.mu.Unlock()
	i := st.s.Calls
	st.s.Calls++
	st.s.InFlight++
	st.s.MaxInFlight = max(st.s.MaxInFlight, st.s.InFlight)
	if !st.countersOnly {
		st.calls = append(st.calls, Call{Index: i, Protocol: p, Start: now})
	}
	return i
}

// end files the finished call's record and updates the counters.
func (st *statsState) end(c Call, reported, unreported Usage) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.s.InFlight--
	if !st.countersOnly {
		st.calls[c.Index] = c
	}
	if c.Model != "" {
		st.s.ByModel[c.Model]++
		if !st.countersOnly {
			st.s.ByPrompt[PromptKey{c.Model, c.Hash}]++
		}
	}
	st.s.ByFault[c.Fault]++
	if c.Served {
		st.s.Served++
		if !st.countersOnly {
			st.s.ServedByPrompt[PromptKey{c.Model, c.Hash}]++
		}
		st.s.Usage = st.s.Usage.add(reported)
		st.s.Unreported = st.s.Unreported.add(unreported)
	}
}

// Stats returns a consistent snapshot of the counters. Counters of a call
// still in flight are updated when it ends, except Calls and InFlight.
func (s *Server) Stats() Stats {
	st := &s.stats
	st.mu.Lock()
	defer st.mu.Unlock()
	out := st.s
	out.ByModel = maps.Clone(st.s.ByModel)
	out.ByFault = maps.Clone(st.s.ByFault)
	out.ByPrompt = maps.Clone(st.s.ByPrompt)
	out.ServedByPrompt = maps.Clone(st.s.ServedByPrompt)
	return out
}

// Calls returns the log of every call so far, in arrival order.
func (s *Server) Calls() []Call {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	return append([]Call(nil), s.stats.calls...)
}

// Repeats returns the prompts whose complete answer was served more than once.
func (s *Server) Repeats() map[PromptKey]int {
	out := map[PromptKey]int{}
	for k, n := range s.Stats().ServedByPrompt {
		if n > 1 {
			out[k] = n
		}
	}
	return out
}

// CallsFor counts calls to model whose last user message is text.
func (s *Server) CallsFor(model, text string) int {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	n := 0
	for _, c := range s.stats.calls {
		if c.Model == model && c.LastUser == text {
			n++
		}
	}
	return n
}

// WaitIdle waits until no call is in flight, so counters are final: a
// client may return before the fake's handler has finished writing.
func (s *Server) WaitIdle(ctx context.Context) error {
	t := time.NewTicker(time.Millisecond)
	defer t.Stop()
	for {
		s.stats.mu.Lock()
		n := s.stats.s.InFlight
		s.stats.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("upstreamfake: %d calls still in flight: %w", n, ctx.Err())
		case <-t.C:
		}
	}
}
