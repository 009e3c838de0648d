package llmroute

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter/internal/policy"
	"github.com/llmrouter/llmrouter/internal/router"
)

// fixed is the fallback: a trained classifier stand-in.
type fixed struct{ d router.Decision }

func (f fixed) Name() string { return "fixed" }
func (f fixed) Route(context.Context, string) (router.Decision, error) {
	return f.d, nil
}

var fallbackDecision = router.Decision{Policy: policy.Standard, Score: 0.1}

func newRouter(t *testing.T, h http.HandlerFunc, timeout time.Duration) *Router {
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	r, err := New(Config{BaseURL: ts.URL + "/v1", APIKey: "sk-test", Model: "router", Timeout: timeout}, fixed{fallbackDecision})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRouteFromLogprobs(t *testing.T) {
	recorded, err := os.ReadFile("testdata/completions_logprobs.json")
	if err != nil {
		t.Fatal(err)
	}
	r := newRouter(t, func(w http.ResponseWriter, req *http.Request) {
		var body completionRequest
		if req.URL.Path != "/v1/completions" || req.Header.Get("Authorization") != "Bearer sk-test" {
			t.Errorf("request %s auth %q", req.URL.Path, req.Header.Get("Authorization"))
		}
		if err := json.NewDecoder(req.Body).Decode(&body); err != nil {
			t.Error(err)
		}
		if body.Model != "router" || body.Temperature != 0 || body.MaxTokens > 16 || body.Logprobs == 0 ||
			!strings.Contains(body.Prompt, "<query>\nprove it\n</query>") || !strings.HasSuffix(body.Prompt, "Policy:") {
			t.Errorf("request body %+v", body)
		}
		_, _ = w.Write(recorded)
	}, time.Second)
	d, err := r.Route(context.Background(), "prove it")
	if err != nil {
		t.Fatal(err)
	}
	// exp(-0.2231), exp(-1.8971), exp(-3.2189) renormalised.
	pc, ps, pa := math.Exp(-0.2231), math.Exp(-1.8971), math.Exp(-3.2189)
	want := pc / (pc + ps + pa)
	if d.Policy != policy.Complex || math.Abs(d.Score-want) > 1e-9 || math.Abs(d.Probs[policy.Standard]-ps/(pc+ps+pa)) > 1e-9 {
		t.Fatalf("decision %+v, want Complex_Query with score %.6f", d, want)
	}
	if r.Fallbacks() != 0 {
		t.Fatalf("fallbacks = %d", r.Fallbacks())
	}
}

func TestRouteWithoutLogprobs(t *testing.T) {
	r := newRouter(t, func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"choices":[{"text":" Ambiguous_Query"}]}`))
	}, time.Second)
	d, err := r.Route(context.Background(), "q")
	if err != nil || d.Policy != policy.Ambiguous || d.Probs[policy.Ambiguous] != 1 || d.Score != 0 {
		t.Fatalf("decision %+v err %v", d, err)
	}
}

func TestFallbackOnTimeoutAndError(t *testing.T) {
	for name, h := range map[string]http.HandlerFunc{
		"hang": func(_ http.ResponseWriter, req *http.Request) {
			select {
			case <-req.Context().Done():
			case <-time.After(300 * time.Millisecond):
			}
		},
		"500": func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "boom", 500) },
		"label": func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte(`{"choices":[{"text":" maybe"}]}`))
		},
	} {
		t.Run(name, func(t *testing.T) {
			r := newRouter(t, h, 50*time.Millisecond)
			var got error
			r.OnFallback = func(err error) { got = err }
			start := time.Now()
			d, err := r.Route(context.Background(), "q")
			if err != nil || d.Policy != fallbackDecision.Policy {
				t.Fatalf("decision %+v err %v, want the fallback's", d, err)
			}
			if el := time.Since(start); el > time.Second {
				t.Fatalf("fallback after %v", el)
			}
			if r.Fallbacks() != 1 || got == nil {
				t.Fatalf("fallbacks %d, OnFallback err %v", r.Fallbacks(), got)
			}
			if name == "hang" && !errors.Is(got, context.DeadlineExceeded) {
				t.Errorf("hang: %v, want a deadline error", got)
			}
			want := "error"
			if name == "hang" {
				want = "timeout"
			}
			if d.Fallback != want {
				t.Errorf("Decision.Fallback = %q, want %q", d.Fallback, want)
			}
		})
	}
}

func TestNoFallbackReturnsError(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "x", 502) }))
	defer ts.Close()
	r, err := New(Config{BaseURL: ts.URL, Model: "router"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Route(context.Background(), "q")
	if err == nil || !strings.Contains(err.Error(), "status 502") {
		t.Fatalf("err %v, want the endpoint's status", err)
	}
	if !errors.Is(err, router.ErrUnavailable) {
		t.Fatalf("err %v does not wrap router.ErrUnavailable, so the gateway would fail the request instead of using its rules", err)
	}
	if _, err := New(Config{Model: "m"}, nil); err == nil || !strings.Contains(err.Error(), "router.llm.base_url") {
		t.Fatalf("missing base_url: %v", err)
	}
}
