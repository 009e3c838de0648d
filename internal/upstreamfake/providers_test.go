package upstreamfake_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/llmrouter/llmrouter/internal/apierr"
	"github.com/llmrouter/llmrouter/internal/provider"
	"github.com/llmrouter/llmrouter/internal/provider/gemini"
	fake "github.com/llmrouter/llmrouter/internal/upstreamfake"
)

// These tests drive the real provider clients, wrapped in provider.WithRetry
// as the pipeline and gateway use them, through every fault class of the
// fake, and check retries, errors, spend and leaks.

const (
	apiKey      = "test-key-not-a-secret"
	callTimeout = 250 * time.Millisecond
	maxBody     = 1 << 20
)

// client is one provider implementation under test.
type client struct {
	name  string
	model string
	// make builds the client with timeout bounding a call and a stream's idle gaps.
	make func(s *fake.Server, hc *http.Client, timeout time.Duration) provider.Provider
}

var clients = []client{
	{"gemini", "gemini-2.5-flash", func(s *fake.Server, hc *http.Client, timeout time.Duration) provider.Provider {
		return gemini.New(gemini.Config{BaseURL: s.URL, APIKey: apiKey, HTTPClient: hc,
			Timeout: timeout, StreamIdleTimeout: timeout, MaxBodyBytes: maxBody})
	}},
}

// sleeps records the retry waits instead of sleeping, so tests assert the
// exact delays (Retry-After honoured) and stay fast.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) list() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// rig is a fake, a retrying client on it and a leak check, for one subtest.
type rig struct {
	srv    *fake.Server
	p      provider.Provider
	sleeps *sleeps
	model  string
}

func newRig(t *testing.T, c client, script fake.Script, timeout time.Duration) *rig {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	// Registered first, so it runs last: after the fake and the client's
	// idle connections are closed.
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	srv := fake.New(t, fake.WithScript(script), fake.WithAPIKey(apiKey), fake.WithChunkWords(2),
		fake.WithAnswer(func(r *fake.Request) fake.Reply {
			return fake.Reply{Text: "Paris is the capital of France, said " + r.Model, ThinkingTokens: 5}
		}))
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	sl := &sleeps{}
	p := provider.WithRetry(c.make(srv, &http.Client{Transport: tr}, timeout),
		provider.RetryOptions{MaxAttempts: 3, BaseDelay: time.Millisecond, Seed: 1, Sleep: sl.sleep})
	return &rig{srv: srv, p: p, sleeps: sl, model: c.model}
}

// stats waits for the fake's handlers to finish, then snapshots its counters.
func (r *rig) stats(t *testing.T) fake.Stats {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := r.srv.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	return r.srv.Stats()
}

func (r *rig) request() *provider.Request {
	return &provider.Request{Model: r.model, Messages: []provider.Message{
		{Role: "system", Content: "Answer briefly."},
		{Role: "user", Content: "What is the capital of France?"},
	}}
}

func (r *rig) wantText() string { return "Paris is the capital of France, said " + r.model }

// outcome is what a case expects.
type outcome struct {
	code   apierr.Code // "" for success
	calls  int
	sleeps []time.Duration // nil: only the count (calls-1) is checked
	inMsg  string          // substring of the error message
	// missingUsage expects a success whose usage the upstream did not report.
	missingUsage bool
}

func (r *rig) check(t *testing.T, want outcome, usage *provider.Usage, err error) {
	t.Helper()
	st := r.stats(t)
	if st.Calls != want.calls {
		t.Errorf("upstream calls %d, want %d (by fault %v)", st.Calls, want.calls, st.ByFault)
	}
	sl := r.sleeps.list()
	if want.sleeps != nil && !equalDurations(sl, want.sleeps) {
		t.Errorf("retry waits %v, want %v", sl, want.sleeps)
	}
	if len(sl) != want.calls-1 {
		t.Errorf("%d retry waits for %d calls", len(sl), want.calls)
	}
	if want.code != "" {
		if err == nil || apierr.CodeOf(err) != want.code || !strings.Contains(err.Error(), want.inMsg) {
			t.Fatalf("error %v (code %s), want code %s containing %q", err, apierr.CodeOf(err), want.code, want.inMsg)
		}
		if strings.Contains(err.Error(), "\n") || strings.Contains(err.Error(), apiKey) {
			t.Errorf("error is not one clean line: %q", err)
		}
		return
	}
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	// Exact spend: what the client accounts is what the upstream reported.
	got := fake.Usage{Input: int64(usage.InputTokens), Output: int64(usage.OutputTokens), Thinking: int64(usage.ThinkingTokens)}
	if want.missingUsage {
		if !usage.Missing || !usage.Estimated || st.Usage != (fake.Usage{}) || st.Unreported.Output == 0 {
			t.Errorf("usage %+v (fake reported %+v), want missing and estimated", usage, st.Usage)
		}
		return
	}
	if got != st.Usage || usage.Missing || usage.Estimated || st.Usage.Thinking != 5 {
		t.Errorf("client usage %+v, fake reported %+v", usage, st.Usage)
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// collect drains a stream into its text and final chunk.
func collect(s provider.Stream) (string, *provider.Usage, error) {
	defer s.Close()
	var text strings.Builder
	var usage *provider.Usage
	for range 100000 {
		c, err := s.Recv()
		if errors.Is(err, io.EOF) {
			return text.String(), usage, nil
		}
		if err != nil {
			return text.String(), nil, err
		}
		text.WriteString(c.Text)
		if c.Usage != nil {
			usage = c.Usage
		}
	}
	return text.String(), usage, errors.New("stream never ended")
}

// Scripts hold state (a queue), so cases build a fresh one per subtest.
func q(f ...fake.Fault) func() fake.Script {
	return func() fake.Script { return fake.Queue(f...) }
}

func always(f fake.Fault) func() fake.Script {
	return func() fake.Script { return fake.Always(f) }
}

func none() fake.Script { return nil }

type faultCase struct {
	name   string
	script func() fake.Script
	want   outcome
}

// faultCases apply to both Complete and Stream: they strike before any
// byte of an answer, where retrying is safe.
var faultCases = []faultCase{
	{"ok", none, outcome{calls: 1}},
	{"429 honours Retry-After", q(fake.RateLimited(2 * time.Second)), outcome{calls: 2, sleeps: []time.Duration{2 * time.Second}}},
	{"500 retried", q(fake.HTTPStatus(500)), outcome{calls: 2}},
	{"502 html retried", q(fake.HTTPStatus(502)), outcome{calls: 2}},
	{"503 retried", q(fake.HTTPStatus(503)), outcome{calls: 2}},
	{"two faults then ok", q(fake.HTTPStatus(503), fake.Fault{Kind: fake.Reset}), outcome{calls: 3}},
	{"400 not retried", q(fake.HTTPStatus(400)), outcome{code: apierr.UpstreamRejected, calls: 1, inMsg: "400"}},
	{"401 not retried", q(fake.HTTPStatus(401)), outcome{code: apierr.UpstreamRejected, calls: 1, inMsg: "401"}},
	{"403 not retried", q(fake.HTTPStatus(403)), outcome{code: apierr.UpstreamRejected, calls: 1, inMsg: "403"}},
	{"404 not retried", q(fake.HTTPStatus(404)), outcome{code: apierr.NotFound, calls: 1, inMsg: "404"}},
	{"always 503 gives up", always(fake.HTTPStatus(503)), outcome{code: apierr.UpstreamUnavailable, calls: 3, inMsg: "503"}},
	{"always 429 gives up", always(fake.RateLimited(time.Second)), outcome{code: apierr.UpstreamRateLimited, calls: 3, inMsg: "429",
		sleeps: []time.Duration{time.Second, time.Second}}},
	{"reset retried", q(fake.Fault{Kind: fake.Reset}), outcome{calls: 2}},
	{"always reset gives up", always(fake.Fault{Kind: fake.Reset}), outcome{code: apierr.UpstreamUnavailable, calls: 3}},
	{"hang times out then ok", q(fake.Fault{Kind: fake.Hang}), outcome{calls: 2}},
	{"slow beyond timeout retried", q(fake.Fault{Latency: 2 * callTimeout}), outcome{calls: 2}},
	{"latency within timeout", q(fake.Fault{Latency: 20 * time.Millisecond}), outcome{calls: 1}},
	{"trickle", q(fake.Fault{TrickleBytes: 32, TrickleDelay: time.Millisecond}), outcome{calls: 1}},
	{"missing usage estimated", q(fake.Fault{Kind: fake.NoUsage}), outcome{calls: 1, missingUsage: true}},
}

func TestProvidersComplete(t *testing.T) {
	unary := append(faultCases[:len(faultCases):len(faultCases)],
		faultCase{"always hangs gives up", always(fake.Fault{Kind: fake.Hang}), outcome{code: apierr.Timeout, calls: 3}},
		faultCase{"truncated body retried", q(fake.Fault{Kind: fake.Truncate}), outcome{calls: 2}},
		faultCase{"malformed retried", q(fake.Fault{Kind: fake.Malformed}), outcome{calls: 2}},
		faultCase{"always malformed gives up", always(fake.Fault{Kind: fake.Malformed}),
			outcome{code: apierr.UpstreamUnavailable, calls: 3, inMsg: "malformed"}},
		faultCase{"enormous body refused", always(fake.Fault{Kind: fake.Enormous, Size: 2 * maxBody}),
			outcome{code: apierr.UpstreamUnavailable, calls: 3, inMsg: "too large"}},
	)
	for _, c := range clients {
		for _, tc := range unary {
			t.Run(c.name+"/"+tc.name, func(t *testing.T) {
				r := newRig(t, c, tc.script(), callTimeout)
				resp, err := r.p.Complete(t.Context(), r.request())
				var usage *provider.Usage
				if err == nil {
					usage = &resp.Usage
					if resp.Text != r.wantText() || resp.FinishReason != "stop" {
						t.Errorf("response %q finish %q", resp.Text, resp.FinishReason)
					}
				}
				r.check(t, tc.want, usage, err)
			})
		}
	}
}

func TestProvidersStream(t *testing.T) {
	// A malformed first event arrives after the stream opened, so the retry
	// wrapper, which never retries an open stream, reports it.
	streamed := append(faultCases[:len(faultCases):len(faultCases)],
		faultCase{"malformed first event not retried", q(fake.Fault{Kind: fake.Malformed}),
			outcome{code: apierr.UpstreamUnavailable, calls: 1, inMsg: "malformed"}},
	)
	for _, c := range clients {
		for _, tc := range streamed {
			t.Run(c.name+"/"+tc.name, func(t *testing.T) {
				r := newRig(t, c, tc.script(), callTimeout)
				s, err := r.p.Stream(t.Context(), r.request())
				var usage *provider.Usage
				if err == nil {
					var text string
					text, usage, err = collect(s)
					if err == nil && (text != r.wantText() || usage == nil) {
						t.Errorf("streamed %q usage %v", text, usage)
					}
				}
				r.check(t, tc.want, usage, err)
			})
		}
	}
}

// TestProvidersMidStream checks faults after chunks were delivered: the
// stream must fail clearly (never end as if complete) and is not retried.
func TestProvidersMidStream(t *testing.T) {
	cases := []struct {
		name  string
		fault fake.Fault
		code  apierr.Code
	}{
		{"truncated", fake.Fault{Kind: fake.Truncate, AfterChunks: 1}, apierr.UpstreamUnavailable},
		{"truncated cleanly", fake.Fault{Kind: fake.Truncate, AfterChunks: 1, Clean: true}, apierr.UpstreamUnavailable},
		{"corrupted", fake.Fault{Kind: fake.Corrupt, AfterChunks: 1}, apierr.UpstreamUnavailable},
		{"reset", fake.Fault{Kind: fake.Reset, AfterChunks: 1}, apierr.UpstreamUnavailable},
		{"stalled", fake.Fault{Kind: fake.Hang, AfterChunks: 1}, apierr.Timeout},
	}
	for _, c := range clients {
		for _, tc := range cases {
			t.Run(c.name+"/"+tc.name, func(t *testing.T) {
				r := newRig(t, c, fake.Always(tc.fault), callTimeout)
				s, err := r.p.Stream(t.Context(), r.request())
				if err != nil {
					t.Fatalf("open: %v", err)
				}
				text, _, err := collect(s)
				if err == nil || apierr.CodeOf(err) != tc.code {
					t.Fatalf("stream ended with %v (code %s) after %q, want code %s", err, apierr.CodeOf(err), text, tc.code)
				}
				if text == "" || text == r.wantText() {
					t.Errorf("text before the fault %q: want a strict prefix", text)
				}
				if st := r.stats(t); st.Calls != 1 || st.Served != 0 {
					t.Errorf("calls %d served %d: a stream is never retried after chunks", st.Calls, st.Served)
				}
			})
		}
	}
}

// TestProvidersEnormousStream streams far more than one body may hold, in
// events each within the limit: the client must take it all.
func TestProvidersEnormousStream(t *testing.T) {
	for _, c := range clients {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t, c, fake.Always(fake.Fault{Kind: fake.Enormous, Size: 2 * maxBody}), 10*time.Second)
			s, err := r.p.Stream(t.Context(), r.request())
			if err != nil {
				t.Fatal(err)
			}
			text, usage, err := collect(s)
			if err != nil || len(text) != 2*maxBody || usage == nil || int64(usage.OutputTokens) != r.stats(t).Usage.Output {
				t.Fatalf("err %v, %d bytes, usage %+v vs fake %+v", err, len(text), usage, r.srv.Stats().Usage)
			}
		})
	}
}
