package provider_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter/internal/apierr"
	"github.com/llmrouter/llmrouter/internal/provider"
	"github.com/llmrouter/llmrouter/internal/provider/providertest"
)

type sleepRecorder struct{ waits []time.Duration }

func (s *sleepRecorder) sleep(ctx context.Context, d time.Duration) error {
	s.waits = append(s.waits, d)
	return ctx.Err()
}

func failing(errs ...error) *providertest.Fake {
	f := &providertest.Fake{}
	i := 0
	f.CompleteFunc = func(ctx context.Context, req *provider.Request) (*provider.Response, error) {
		if i < len(errs) {
			i++
			return nil, errs[i-1]
		}
		return &provider.Response{Text: "ok"}, nil
	}
	return f
}

func TestWithRetry(t *testing.T) {
	rate := &apierr.Error{Code: apierr.UpstreamRateLimited, Msg: "429", RetryAfter: 2 * time.Second}
	rateLong := &apierr.Error{Code: apierr.UpstreamRateLimited, Msg: "429", RetryAfter: time.Hour}
	down := apierr.New(apierr.UpstreamUnavailable, "503")
	rejected := apierr.New(apierr.UpstreamRejected, "401")
	tests := []struct {
		name      string
		errs      []error
		attempts  int
		wantCalls int
		wantErr   apierr.Code
		checkWait func(t *testing.T, w []time.Duration)
	}{
		{name: "success first try", wantCalls: 1},
		{name: "429 honours Retry-After", errs: []error{rate}, wantCalls: 2,
			checkWait: func(t *testing.T, w []time.Duration) {
				if len(w) != 1 || w[0] != 2*time.Second {
					t.Errorf("waits = %v, want [2s]", w)
				}
			}},
		{name: "Retry-After capped by MaxDelay", errs: []error{rateLong}, wantCalls: 2,
			checkWait: func(t *testing.T, w []time.Duration) {
				if w[0] != 5*time.Second {
					t.Errorf("wait = %v, want MaxDelay 5s", w[0])
				}
			}},
		{name: "backoff grows with jitter", errs: []error{down, down, down}, wantCalls: 4,
			checkWait: func(t *testing.T, w []time.Duration) {
				bounds := [][2]time.Duration{{50 * time.Millisecond, 100 * time.Millisecond},
					{100 * time.Millisecond, 200 * time.Millisecond}, {200 * time.Millisecond, 400 * time.Millisecond}}
				for i, b := range bounds {
					if w[i] < b[0] || w[i] > b[1] {
						t.Errorf("wait %d = %v, want in [%v, %v]", i, w[i], b[0], b[1])
					}
				}
			}},
		{name: "gives up after MaxAttempts", errs: []error{down, down, down, down, down}, wantCalls: 4, wantErr: apierr.UpstreamUnavailable},
		{name: "401 never retried", errs: []error{rejected}, wantCalls: 1, wantErr: apierr.UpstreamRejected},
		{name: "MaxAttempts 1 disables", errs: []error{down}, attempts: 1, wantCalls: 1, wantErr: apierr.UpstreamUnavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := failing(tc.errs...)
			sr := &sleepRecorder{}
			p := provider.WithRetry(f, provider.RetryOptions{MaxAttempts: tc.attempts, BaseDelay: 100 * time.Millisecond,
				MaxDelay: 5 * time.Second, Seed: 1, Sleep: sr.sleep})
			resp, err := p.Complete(context.Background(), &provider.Request{Model: "m"})
			if f.Calls() != tc.wantCalls {
				t.Errorf("calls = %d, want %d", f.Calls(), tc.wantCalls)
			}
			if tc.wantErr == "" {
				if err != nil || resp.Text != "ok" {
					t.Fatalf("got %v, %v", resp, err)
				}
			} else if apierr.CodeOf(err) != tc.wantErr {
				t.Fatalf("err = %v, want code %s", err, tc.wantErr)
			}
			if tc.checkWait != nil {
				tc.checkWait(t, sr.waits)
			}
		})
	}
}

func TestWithRetryDeterministicJitter(t *testing.T) {
	run := func() []time.Duration {
		sr := &sleepRecorder{}
		down := apierr.New(apierr.UpstreamUnavailable, "503")
		p := provider.WithRetry(failing(down, down, down), provider.RetryOptions{Seed: 42, Sleep: sr.sleep})
		_, _ = p.Complete(context.Background(), &provider.Request{})
		return sr.waits
	}
	a, b := run(), run()
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("same seed gave different waits: %v vs %v", a, b)
		}
	}
}

func TestWithRetryContextCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	down := apierr.New(apierr.UpstreamUnavailable, "503")
	f := failing(down, down, down)
	p := provider.WithRetry(f, provider.RetryOptions{Sleep: func(ctx context.Context, d time.Duration) error {
		cancel()
		return ctx.Err()
	}})
	_, err := p.Complete(ctx, &provider.Request{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if apierr.CodeOf(err) != apierr.UpstreamUnavailable {
		t.Errorf("code = %s, want the upstream's code kept", apierr.CodeOf(err))
	}
	if f.Calls() != 1 {
		t.Errorf("calls = %d, want 1", f.Calls())
	}
}

func TestWithRetryRealSleepHonoursCancel(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	p := provider.WithRetry(failing(&apierr.Error{Code: apierr.UpstreamRateLimited, RetryAfter: time.Minute}),
		provider.RetryOptions{MaxDelay: time.Minute})
	start := time.Now()
	_, err := p.Complete(ctx, &provider.Request{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Fatal("sleep ignored the context")
	}
}

func TestWithRetryStreamOnlyWhenOpening(t *testing.T) {
	down := apierr.New(apierr.UpstreamUnavailable, "503")
	opens := 0
	f := &providertest.Fake{StreamFunc: func(ctx context.Context, req *provider.Request) (provider.Stream, error) {
		opens++
		if opens == 1 {
			return nil, down
		}
		s := providertest.NewSliceStream(provider.Chunk{Text: "a"})
		s.Err = down // breaks mid-stream: must surface, not retry
		return s, nil
	}}
	sr := &sleepRecorder{}
	p := provider.WithRetry(f, provider.RetryOptions{Sleep: sr.sleep})
	s, err := p.Stream(context.Background(), &provider.Request{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := providertest.Collect(s)
	if apierr.CodeOf(err) != apierr.UpstreamUnavailable || got.Text != "a" {
		t.Fatalf("got %q, %v", got.Text, err)
	}
	if opens != 2 {
		t.Errorf("opens = %d, want 2", opens)
	}
}
