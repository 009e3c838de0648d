package upstreamfake

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func do(t *testing.T, c *http.Client, method, url, body string, hdr map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestAuthAndBadRequests(t *testing.T) {
	s := New(t, WithAPIKey("sk-test"), WithModels("gemini-2.5-flash", "gpt-4o-mini"))
	c := client(t, time.Second)
	gem := s.GeminiBase + "/models/gemini-2.5-flash:generateContent"
	oai := s.OpenAIBase + "/chat/completions"
	goodG := map[string]string{"x-goog-api-key": "sk-test"}
	goodO := map[string]string{"Authorization": "Bearer sk-test"}
	cases := []struct {
		name, method, url, body string
		hdr                     map[string]string
		status                  int
		label, inBody           string
	}{
		{"gemini no key", "POST", gem, geminiBody, nil, 403, "auth", "PERMISSION_DENIED"},
		{"gemini wrong key", "POST", gem, geminiBody, map[string]string{"x-goog-api-key": "nope"}, 400, "auth", "API key not valid"},
		{"gemini key header", "POST", gem, geminiBody, goodG, 200, "none", "candidates"},
		{"gemini key query", "POST", gem + "?key=sk-test", geminiBody, nil, 200, "none", "candidates"},
		{"gemini v1 path", "POST", s.URL + "/v1/models/gemini-2.5-flash:generateContent", geminiBody, goodG, 200, "none", "candidates"},
		{"gemini bad json", "POST", gem, "{", goodG, 400, "bad_request", "INVALID_ARGUMENT"},
		{"gemini no contents", "POST", gem, "{}", goodG, 400, "bad_request", "contents is not specified"},
		{"gemini bad role", "POST", gem, `{"contents":[{"role":"bot","parts":[{"text":"x"}]}]}`, goodG, 400, "bad_request", "valid role"},
		{"gemini unknown method", "POST", s.GeminiBase + "/models/gemini-2.5-flash:countTokens", geminiBody, goodG, 404, "bad_request", "NOT_FOUND"},
		{"gemini unknown model", "POST", s.GeminiBase + "/models/nope:generateContent", geminiBody, goodG, 404, "unknown_model", "NOT_FOUND"},
		{"openai no key", "POST", oai, openaiBody, nil, 401, "auth", "invalid_api_key"},
		{"openai wrong key", "POST", oai, openaiBody, map[string]string{"Authorization": "Bearer nope"}, 401, "auth", "invalid_api_key"},
		{"openai ok", "POST", oai, openaiBody, goodO, 200, "none", "chat.completion"},
		{"openai root path", "POST", s.URL + "/chat/completions", openaiBody, goodO, 200, "none", "chat.completion"},
		{"openai parts content", "POST", oai, `{"model":"gpt-4o-mini","messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}]}`, goodO, 200, "none", "Answer from gpt-4o-mini: hi"},
		{"openai no model", "POST", oai, `{"messages":[{"role":"user","content":"x"}]}`, goodO, 400, "bad_request", "model parameter"},
		{"openai no messages", "POST", oai, `{"model":"gpt-4o-mini","messages":[]}`, goodO, 400, "bad_request", "at least one message"},
		{"openai bad role", "POST", oai, `{"model":"gpt-4o-mini","messages":[{"role":"robot","content":"x"}]}`, goodO, 400, "bad_request", "role"},
		{"openai bad content", "POST", oai, `{"model":"gpt-4o-mini","messages":[{"role":"user","content":5}]}`, goodO, 400, "bad_request", "content"},
		{"openai unknown model", "POST", oai, `{"model":"x","messages":[{"role":"user","content":"x"}]}`, goodO, 404, "unknown_model", "model_not_found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := s.Stats().ByFault[tc.label]
			status, body := do(t, c, tc.method, tc.url, tc.body, tc.hdr)
			if status != tc.status || !strings.Contains(body, tc.inBody) {
				t.Errorf("got %d %s, want %d containing %q", status, body, tc.status, tc.inBody)
			}
			if got := s.Stats().ByFault[tc.label] - before; got != 1 {
				t.Errorf("fault %q counted %d times, want 1", tc.label, got)
			}
		})
	}
	if status, _ := do(t, c, "GET", s.URL+"/nowhere", "", nil); status != 404 {
		t.Errorf("unknown path: %d", status)
	}
	if status, _ := do(t, c, "GET", oai, "", nil); status != 404 {
		t.Errorf("GET on chat completions: %d, want 404", status)
	}
}

func TestRateLimit(t *testing.T) {
	s := New(t, WithRateLimit(2, 3))
	c := client(t, time.Second)
	var codes []int
	var retryAfter string
	for range 5 {
		resp, err := post(t.Context(), c, s, target{proto: OpenAI})
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		codes = append(codes, resp.StatusCode)
		if resp.StatusCode == 429 {
			retryAfter = resp.Header.Get("Retry-After")
		}
	}
	if fmt.Sprint(codes) != "[200 200 200 429 429]" || retryAfter != "1" {
		t.Errorf("codes %v Retry-After %q, want a burst of 3 then 429 with Retry-After 1", codes, retryAfter)
	}
	if st := s.Stats(); st.ByFault["rate_limited"] != 2 || st.Served != 3 {
		t.Errorf("stats %+v", st.ByFault)
	}
}

func TestScripts(t *testing.T) {
	req := &Request{Model: "a"}
	q := Queue(HTTPStatus(500), RateLimited(time.Second))
	if got := []string{q(0, req).Label(), q(1, req).Label(), q(2, req).Label()}; fmt.Sprint(got) != "[status_500 status_429 none]" {
		t.Errorf("Queue gave %v", got)
	}
	fm := ForModel("b", Always(HTTPStatus(503)))
	if fm(0, req).Kind != "" || fm(0, &Request{Model: "b"}).Status != 503 {
		t.Error("ForModel applied to the wrong model")
	}
	seq := func(seed uint64) string {
		r := Random(seed, 0.3, EveryKind()...)
		var b strings.Builder
		for i := range 2000 {
			b.WriteString(r(i, req).Label() + ",")
		}
		return b.String()
	}
	a, b := seq(7), seq(7)
	if a != b || a == seq(8) {
		t.Error("Random is not a pure function of its seed")
	}
	faulted := 2000 - strings.Count(a, "none,")
	if faulted < 500 || faulted > 700 {
		t.Errorf("Random(0.3) faulted %d of 2000", faulted)
	}
}

// TestCountersUnderConcurrency checks exact counters and the in-flight
// high-water mark with many concurrent calls over both protocols.
func TestCountersUnderConcurrency(t *testing.T) {
	const n = 16
	s := New(t, WithLatency(50*time.Millisecond))
	c := client(t, 5*time.Second)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			tg := targets[i%len(targets)]
			_, _, err := fetch(t, c, s, tg)
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	st := s.Stats()
	if st.Calls != n || st.Served != n || st.InFlight != 0 || st.MaxInFlight != n {
		t.Errorf("calls %d served %d inflight %d max %d, want %d %d 0 %d", st.Calls, st.Served, st.InFlight, st.MaxInFlight, n, n, n)
	}
	if st.ByModel["gemini-2.5-flash"] != n/2 || st.ByModel["gpt-4o-mini"] != n/2 {
		t.Errorf("by model %v", st.ByModel)
	}
	msgs := []Message{{Role: "system", Text: "Be brief."}, {Role: "user", Text: "What is the capital of France?"}}
	key := PromptKey{"gpt-4o-mini", PromptHash(msgs)}
	if st.ByPrompt[key] != n/2 || len(s.Repeats()) != 2 || s.CallsFor("gpt-4o-mini", msgs[1].Text) != n/2 {
		t.Errorf("by prompt %v repeats %v", st.ByPrompt, s.Repeats())
	}
	// 8 prompt words per call; answers differ by model name only.
	want := Usage{Input: 8 * n, Output: int64(CountTokens("Answer from x: What is the capital of France?")) * n}
	if st.Usage != want {
		t.Errorf("usage %+v, want %+v", st.Usage, want)
	}
	var sum Usage
	for _, call := range s.Calls() {
		sum = sum.add(call.Usage)
		if !call.Served || call.End.Before(call.Start.Add(50*time.Millisecond)) {
			t.Errorf("call %+v", call)
		}
	}
	if sum != st.Usage {
		t.Errorf("call log sums to %+v, counters to %+v", sum, st.Usage)
	}
}

// TestCloseEndsHangingCalls proves Close wakes handlers that would
// otherwise wait forever, and returns only when they are gone (goleak in
// TestMain then finds nothing).
func TestCloseEndsHangingCalls(t *testing.T) {
	s, err := Start("", WithScript(Always(Fault{Kind: Hang})))
	if err != nil {
		t.Fatal(err)
	}
	c := client(t, 0)
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			_, _, err := fetch(t, c, s, target{proto: Gemini, stream: true})
			errs <- err
		}()
	}
	for s.Stats().InFlight < 4 {
		time.Sleep(time.Millisecond)
	}
	done := make(chan struct{})
	go func() { s.Close(); s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
	for range 4 {
		if err := <-errs; err == nil {
			t.Error("a hanging call succeeded")
		}
	}
	if st := s.Stats(); st.InFlight != 0 || st.ByFault["hang"] != 4 {
		t.Errorf("after Close: %+v", st)
	}
}

func TestServeStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan *Server, 1)
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, "127.0.0.1:0", func(s *Server) { ready <- s }) }()
	s := <-ready
	if _, _, err := fetch(t, client(t, time.Second), s, target{proto: OpenAI}); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve: %v", err)
	}
	if _, err := Start("256.0.0.1:1"); err == nil {
		t.Error("Start on a bad address succeeded")
	}
}
