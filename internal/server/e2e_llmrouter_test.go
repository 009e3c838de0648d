package server

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter/internal/router"
	"github.com/llmrouter/llmrouter/internal/upstreamfake"
)

// llmEndpoint is a fake vLLM server speaking the OpenAI completions
// protocol: it answers with a recorded reply (logprobs included) or, while
// hang is set, holds the request until the client gives up.
type llmEndpoint struct {
	*httptest.Server
	hang    atomic.Bool
	calls   atomic.Int64
	prompts chan string
}

func newLLMEndpoint(t *testing.T) *llmEndpoint {
	t.Helper()
	recorded, err := os.ReadFile("testdata/llm_router_completions.json")
	if err != nil {
		t.Fatal(err)
	}
	e := &llmEndpoint{prompts: make(chan string, 16)}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.calls.Add(1)
		var body struct {
			Model    string `json:"model"`
			Prompt   string `json:"prompt"`
			Logprobs int    `json:"logprobs"`
		}
		if r.Method != http.MethodPost || r.URL.Path != "/v1/completions" || r.Header.Get("Authorization") != "Bearer vllm-token" {
			http.Error(w, `{"error":{"message":"not found"}}`, http.StatusNotFound)
			return
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Model != "router-llm" || body.Logprobs == 0 {
			http.Error(w, `{"error":{"message":"bad request"}}`, http.StatusBadRequest)
			return
		}
		select {
		case e.prompts <- body.Prompt:
		default:
		}
		if e.hang.Load() {
			<-r.Context().Done()
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(recorded)
	}))
	t.Cleanup(e.Close)
	return e
}

func llmRouterYAML(e *llmEndpoint, modelPath string) string {
	y := fmt.Sprintf("router:\n  kind: llm\n  llm: {base_url: %s/v1, model: router-llm, timeout: 150ms, api_key_env: TEST_VLLM_KEY}\n", e.URL)
	if modelPath != "" {
		y += "  model_path: " + modelPath + "\n"
	}
	return y
}

// TestE2ELLMRouter routes "router" requests through a fine-tuned LLM behind
// a completions endpoint, then makes the endpoint hang: the trained
// classifier decides instead (or, without one, the rules), the request
// still succeeds, and the fallback is counted and logged.
func TestE2ELLMRouter(t *testing.T) {
	plain, _ := cascadeModels(t)
	classifier, err := router.Load(plain)
	if err != nil {
		t.Fatal(err)
	}
	const q = "Prove that there are infinitely many primes p such that p+2 is also prime."
	want, err := classifier.Route(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, modelPath string
		to              string // what decides while the endpoint hangs
	}{
		{"classifier fallback", plain, "classifier"},
		{"rules fallback", "", "rules"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newLLMEndpoint(t)
			fake := upstreamfake.New(t, upstreamfake.WithAPIKey(""))
			r := startGateway(t, fake, llmRouterYAML(e, tc.modelPath), map[string]string{"TEST_VLLM_KEY": "vllm-token"})

			_, resp, err := r.chat("router", q, false)
			if err != nil {
				t.Fatal(err)
			}
			// The recorded reply's first-token logprobs: Complex -0.2231,
			// Standard -1.8971, Ambiguous -3.2189, renormalised.
			pc, ps, pa := math.Exp(-0.2231), math.Exp(-1.8971), math.Exp(-3.2189)
			wantScore := pc / (pc + ps + pa)
			if got := headerFloat(t, resp, "X-Router-Score"); math.Abs(got-wantScore) > 1e-4 {
				t.Errorf("X-Router-Score %v, want the LLM's P(Complex) %.4f", got, wantScore)
			}
			if p := resp.Header.Get("X-Router-Policy"); p != "Complex_Query" {
				t.Errorf("X-Router-Policy %q, want Complex_Query", p)
			}
			if prompt := <-e.prompts; !strings.Contains(prompt, "<query>\n"+q+"\n</query>") || !strings.HasSuffix(prompt, "Policy:") {
				t.Errorf("the endpoint was not sent the training prompt: %q", prompt)
			}

			e.hang.Store(true)
			start := time.Now()
			_, resp, err = r.chat("router", q, false)
			if err != nil {
				t.Fatalf("request failed while the LLM router hangs: %v", err)
			}
			if el := time.Since(start); el > 5*time.Second {
				t.Errorf("the hanging router held the request %v; its timeout is 150ms", el)
			}
			switch tc.to {
			case "classifier":
				if got := headerFloat(t, resp, "X-Router-Score"); math.Abs(got-want.Score) > 1e-4 {
					t.Errorf("X-Router-Score %v, want the classifier's %.4f", got, want.Score)
				}
			case "rules":
				if s := resp.Header.Get("X-Router-Score"); s != "" {
					t.Errorf("X-Router-Score %q with no router to decide", s)
				}
			}
			_, _, metrics := r.get("/metrics", "Authorization", "Bearer "+gatewayKey)
			line := fmt.Sprintf(`llmrouter_router_fallbacks_total{reason="timeout",to="%s"} 1`, tc.to)
			if !strings.Contains(metrics, line) {
				t.Errorf("/metrics lacks %s:\n%s", line, grepLines(metrics, "router_fallbacks"))
			}
			if !strings.Contains(r.logs.String(), `"router_fallback":"`+tc.to+`"`) {
				t.Errorf("request log lacks router_fallback %s", tc.to)
			}
			if strings.Contains(r.logs.String(), "vllm-token") {
				t.Error("the router endpoint's key reached the log")
			}
		})
	}
}

func headerFloat(t *testing.T, resp *http.Response, name string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(resp.Header.Get(name), 64)
	if err != nil {
		t.Fatalf("%s: %v (headers %v)", name, err, resp.Header)
	}
	return v
}

func TestLLMRouterConfigErrors(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"router: {kind: gpt}", `router.kind: must be classifier or llm, got "gpt"`},
		{"router: {kind: llm}", "router.llm.base_url: is required"},
		{"router: {kind: llm, llm: {base_url: vllm:8000}}", "router.llm.base_url: must be an http:// or https:// URL"},
		{"router: {kind: llm, llm: {base_url: http://vllm/v1}}", "router.llm.model: is required"},
		{"router: {kind: llm, llm: {base_url: http://vllm/v1, model: m, timeout: 2m}}", "router.llm.timeout: must be between 0 and 1m"},
		{"router: {llm: {base_url: http://vllm/v1, model: m}}", "router.llm: is only used with router.kind: llm"},
		{"router: {kind: llm, candidates: [a], llm: {base_url: http://vllm/v1, model: m}}", "router.candidates: an LLM router chooses a policy"},
	} {
		_, err := ParseConfig([]byte(tc.yaml), "r.yaml")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want %q", tc.yaml, err, tc.want)
		}
	}
}

func TestLLMRouterMissingKeyEnv(t *testing.T) {
	cfg, err := ParseConfig([]byte("router: {kind: llm, llm: {base_url: http://vllm/v1, model: m, api_key_env: NOPE}}\nspend: {sqlite_path: "+t.TempDir()+"/s.db}"), "r.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = Open(context.Background(), cfg, OpenOptions{Getenv: func(string) string { return "" }})
	if err == nil || !strings.Contains(err.Error(), "router.llm.api_key_env: environment variable NOPE is not set") {
		t.Fatalf("err %v", err)
	}
}
