package upstreamfake

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

const wantText = "Answer from %s: What is the capital of France?"

// outcome is everything a fault test can observe about one call.
type outcome struct {
	tg      target
	resp    *http.Response
	body    []byte
	err     error // from Do or from reading the body
	elapsed time.Duration
}

func (o outcome) status() int {
	if o.resp == nil {
		return 0
	}
	return o.resp.StatusCode
}

func (o outcome) model() string {
	if o.tg.proto == Gemini {
		return "gemini-2.5-flash"
	}
	return "gpt-4o-mini"
}

func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// expectAnswer asserts a complete, well-formed answer.
func expectAnswer(t *testing.T, o outcome, wantUsage bool) decoded {
	t.Helper()
	if o.err != nil || o.status() != http.StatusOK {
		t.Fatalf("err %v status %d body %.200s", o.err, o.status(), o.body)
	}
	d, err := decode(o.tg, o.body)
	if err != nil {
		t.Fatalf("decode: %v in %.300q", err, o.body)
	}
	if want := strings.Replace(wantText, "%s", o.model(), 1); d.text != want {
		t.Errorf("text %q, want %q", d.text, want)
	}
	if (d.usage != nil) != wantUsage {
		t.Errorf("usage reported = %v, want %v", d.usage, wantUsage)
	}
	return d
}

func expectStatus(code int, errorBody func(t *testing.T, o outcome)) func(*testing.T, outcome) {
	return func(t *testing.T, o outcome) {
		t.Helper()
		if o.err != nil || o.status() != code {
			t.Fatalf("err %v status %d, want %d", o.err, o.status(), code)
		}
		if errorBody != nil {
			errorBody(t, o)
		}
	}
}

// jsonError checks the protocol's error JSON shape.
func jsonError(t *testing.T, o outcome) {
	t.Helper()
	var e struct {
		Error struct {
			Code    any    `json:"code"`
			Message string `json:"message"`
			Status  string `json:"status"`
			Type    string `json:"type"`
		} `json:"error"`
	}
	if err := json.Unmarshal(o.body, &e); err != nil || e.Error.Message == "" {
		t.Fatalf("error body %q: %v", o.body, err)
	}
	if o.tg.proto == Gemini && (e.Error.Status == "" || e.Error.Code != float64(o.status())) {
		t.Errorf("gemini error lacks status/code: %s", o.body)
	}
	if o.tg.proto == OpenAI && e.Error.Type == "" {
		t.Errorf("openai error lacks type: %s", o.body)
	}
}

var faultCases = []struct {
	name  string
	fault Fault
	label string
	check func(*testing.T, outcome)
}{
	{"none", Fault{}, "none", func(t *testing.T, o outcome) { expectAnswer(t, o, true) }},
	{"latency", Fault{Latency: 60 * time.Millisecond}, "latency", func(t *testing.T, o outcome) {
		expectAnswer(t, o, true)
		if o.elapsed < 60*time.Millisecond {
			t.Errorf("answered in %v, before the 60ms latency", o.elapsed)
		}
	}},
	{"trickle", Fault{TrickleBytes: 64, TrickleDelay: 2 * time.Millisecond}, "trickle", func(t *testing.T, o outcome) {
		expectAnswer(t, o, true)
		if min := time.Duration(len(o.body)/64) * 2 * time.Millisecond; o.elapsed < min {
			t.Errorf("%d bytes in %v, faster than the trickle allows (%v)", len(o.body), o.elapsed, min)
		}
	}},
	{"429", RateLimited(1500 * time.Millisecond), "status_429", expectStatus(429, func(t *testing.T, o outcome) {
		jsonError(t, o)
		if ra, ms := o.resp.Header.Get("Retry-After"), o.resp.Header.Get("retry-after-ms"); ra != "2" || ms != "1500" {
			t.Errorf("Retry-After %q retry-after-ms %q, want 2 and 1500", ra, ms)
		}
		if o.tg.proto == Gemini && !strings.Contains(string(o.body), `"retryDelay":"1.5s"`) {
			t.Errorf("gemini 429 lacks RetryInfo: %s", o.body)
		}
	})},
	{"500", HTTPStatus(500), "status_500", expectStatus(500, jsonError)},
	{"502", HTTPStatus(502), "status_502", expectStatus(502, func(t *testing.T, o outcome) {
		if !strings.HasPrefix(o.resp.Header.Get("Content-Type"), "text/html") {
			t.Errorf("502 content type %q, want HTML as a load balancer sends", o.resp.Header.Get("Content-Type"))
		}
	})},
	{"503", HTTPStatus(503), "status_503", expectStatus(503, jsonError)},
	{"400", HTTPStatus(400), "status_400", expectStatus(400, jsonError)},
	{"401", HTTPStatus(401), "status_401", expectStatus(401, jsonError)},
	{"403", HTTPStatus(403), "status_403", expectStatus(403, jsonError)},
	{"reset", Fault{Kind: Reset}, "reset", func(t *testing.T, o outcome) {
		if o.resp != nil || !isReset(o.err) {
			t.Fatalf("resp %v err %v, want a connection reset before any response", o.resp, o.err)
		}
	}},
	{"hang", Fault{Kind: Hang}, "hang", func(t *testing.T, o outcome) {
		if o.resp != nil || !isTimeout(o.err) {
			t.Fatalf("resp %v err %v, want the client timeout", o.resp, o.err)
		}
	}},
	{"malformed", Fault{Kind: Malformed}, "malformed", func(t *testing.T, o outcome) {
		if o.err != nil || o.status() != 200 {
			t.Fatalf("err %v status %d, want 200", o.err, o.status())
		}
		var se *json.SyntaxError
		if _, err := decode(o.tg, o.body); !errors.As(err, &se) {
			t.Errorf("decode error %v, want a JSON syntax error", err)
		}
	}},
	{"no_usage", Fault{Kind: NoUsage}, "no_usage", func(t *testing.T, o outcome) {
		expectAnswer(t, o, false)
		if strings.Contains(string(o.body), "usageMetadata") || strings.Contains(string(o.body), "prompt_tokens") {
			t.Errorf("body still reports usage: %s", o.body)
		}
	}},
	{"enormous", Fault{Kind: Enormous, Size: 256 << 10}, "enormous", func(t *testing.T, o outcome) {
		if o.err != nil || o.status() != 200 {
			t.Fatalf("err %v status %d", o.err, o.status())
		}
		d, err := decode(o.tg, o.body)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.text) != 256<<10 || !strings.HasPrefix(d.text, "lorem lorem") {
			t.Errorf("text of %d bytes, want 256 KiB of lorem", len(d.text))
		}
		if d.usage == nil || d.usage.Output != enormousWords(256<<10) {
			t.Errorf("usage %+v, want %d output tokens", d.usage, enormousWords(256<<10))
		}
	}},
}

// TestFaults runs every fault class against every endpoint and checks what
// a client observes and what the fake counted.
func TestFaults(t *testing.T) {
	for _, fc := range faultCases {
		for _, tg := range targets {
			t.Run(fc.name+"/"+tg.name, func(t *testing.T) {
				t.Parallel()
				s := New(t, WithScript(Queue(fc.fault)))
				o := outcome{tg: tg}
				start := time.Now()
				timeout := 300 * time.Millisecond
				if fc.fault.Kind == Enormous {
					timeout = 20 * time.Second
				}
				o.resp, o.body, o.err = fetch(t, client(t, timeout), s, tg)
				o.elapsed = time.Since(start)
				fc.check(t, o)
				s.Close()
				st := s.Stats()
				if st.Calls != 1 || st.ByFault[fc.label] != 1 || st.InFlight != 0 {
					t.Errorf("stats calls %d by fault %v in flight %d, want one %q", st.Calls, st.ByFault, st.InFlight, fc.label)
				}
				served := fc.label == "none" || fc.label == "latency" || fc.label == "trickle" || fc.label == "no_usage" || fc.label == "enormous"
				if (st.Served == 1) != served {
					t.Errorf("served = %d, want served %v", st.Served, served)
				}
			})
		}
	}
}
