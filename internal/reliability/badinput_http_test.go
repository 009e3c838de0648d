package reliability

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/llmrouter/llmrouter/internal/upstreamfake"
)

// TestBadInputHTTP feeds each gateway endpoint the catalogue of hostile
// inputs. Each must get the documented status and an OpenAI-style error
// object whose message names the problem (the field or setting), the
// upstream must never be called for a request rejected up front, and the
// gateway must keep serving.
func TestBadInputHTTP(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	fake := upstreamfake.New(t, upstreamfake.WithAPIKey(upstreamKey))
	g := startGateway(t, gatewayYAML(fake, filepath.Join(t.TempDir(), "spend.db"), "limits: {max_body_bytes: 262144}\n"),
		map[string]string{"GEMINI_API_KEY": upstreamKey})
	msg := func(content string) string {
		return `{"model":"mini","messages":[{"role":"user","content":` + content + `}]}`
	}
	cases := []struct {
		name, method, path, body string
		status                   int
		want                     string // in error.message (case-insensitive)
	}{
		{"empty body", "POST", "/v1/chat/completions", "", 400, ""},
		{"binary garbage", "POST", "/v1/chat/completions", "\x00\xff\xfe{\x01garbage", 400, "json"},
		{"truncated JSON", "POST", "/v1/chat/completions", `{"model":"mini","messages":[{"role":"user","con`, 400, "json"},
		{"truncated UTF-8", "POST", "/v1/chat/completions", msg("\"caf\xc3\""), 400, "UTF-8"},
		{"huge line over the body limit", "POST", "/v1/chat/completions", msg(`"` + strings.Repeat("x", 300000) + `"`), 413, ""},
		{"messages wrong type", "POST", "/v1/chat/completions", `{"model":"mini","messages":"hello"}`, 400, "messages"},
		{"content wrong type", "POST", "/v1/chat/completions", msg(`42`), 400, "content"},
		{"model wrong type", "POST", "/v1/chat/completions", `{"model":7,"messages":[{"role":"user","content":"hi"}]}`, 400, "model"},
		{"max_tokens negative", "POST", "/v1/chat/completions", `{"model":"mini","max_tokens":-1,"messages":[{"role":"user","content":"hi"}]}`, 400, "max_tokens"},
		{"temperature wrong type", "POST", "/v1/chat/completions", `{"model":"mini","temperature":"hot","messages":[{"role":"user","content":"hi"}]}`, 400, "temperature"},
		{"missing messages", "POST", "/v1/chat/completions", `{"model":"mini"}`, 400, "messages"},
		{"empty messages", "POST", "/v1/chat/completions", `{"model":"mini","messages":[]}`, 400, "messages"},
		{"unknown role", "POST", "/v1/chat/completions", `{"model":"mini","messages":[{"role":"wizard","content":"hi"}]}`, 400, "role"},
		{"unknown model", "POST", "/v1/chat/completions", `{"model":"gpt-9","messages":[{"role":"user","content":"hi"}]}`, 404, "gpt-9"},
		{"threshold above 1", "POST", "/v1/chat/completions", `{"model":"router-1.5","messages":[{"role":"user","content":"hi"}]}`, 400, "1.5"},
		{"threshold negative", "POST", "/v1/chat/completions", `{"model":"router--0.2","messages":[{"role":"user","content":"hi"}]}`, 400, "router--0.2"},
		{"threshold not a number", "POST", "/v1/chat/completions", `{"model":"router-abc","messages":[{"role":"user","content":"hi"}]}`, 0, "router-abc"},
		{"wrong method", "GET", "/v1/chat/completions", "", 405, ""},
		{"unknown model id", "GET", "/v1/models/gpt-9", "", 404, "gpt-9"},
		{"unknown path", "GET", "/v1/embeddings", "", 404, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := g.do(tc.method, tc.path, tc.body, authHdr()...)
			if tc.status != 0 && status != tc.status || tc.status == 0 && (status < 400 || status >= 500) {
				t.Errorf("status %d, want %d: %.300s", status, tc.status, body)
			}
			var e struct {
				Error struct{ Message, Type string } `json:"error"`
			}
			if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error.Message == "" || e.Error.Type == "" {
				t.Fatalf("no OpenAI error object: %.300s", body)
			}
			if tc.want != "" && !strings.Contains(strings.ToLower(e.Error.Message), strings.ToLower(tc.want)) {
				t.Errorf("message does not name %q: %s", tc.want, e.Error.Message)
			}
		})
	}
	if n := fake.Stats().Calls; n != 0 {
		t.Errorf("the upstream was called %d times for requests that should be rejected up front", n)
	}
	if status, _, body := g.do("POST", "/v1/chat/completions", chatBody, authHdr()...); status != 200 {
		t.Errorf("gateway no longer serves after the bad inputs: %d %.200s", status, body)
	}
	g.stop()
}
