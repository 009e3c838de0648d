package openaiapi

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter/internal/apierr"
	"github.com/llmrouter/llmrouter/internal/provider"
)

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got with testdata/<name>.golden, rewriting it with -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("missing golden file (run with -update): %v", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func files(t *testing.T, dir string) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", dir, "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures in testdata/%s: %v", dir, err)
	}
	return paths
}

// TestRequestGolden parses each request and converts it for upstream model
// "upstream-x"; the golden file holds the provider request, or for err_*
// fixtures the error's status, param and message.
func TestRequestGolden(t *testing.T) {
	for _, path := range files(t, "requests") {
		name := strings.TrimSuffix(filepath.Base(path), ".json")
		t.Run(name, func(t *testing.T) {
			in, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var out []byte
			req, err := ParseChatRequest(in)
			var preq *provider.Request
			if err == nil {
				preq, err = ToProvider(req, "upstream-x")
			}
			if err != nil {
				out = fmt.Appendf(nil, "status %d param %q\n%s\n", apierr.HTTPStatus(apierr.CodeOf(err)), ParamOf(err), err)
			} else {
				out, _ = json.MarshalIndent(struct {
					Provider     *provider.Request
					Stream       bool
					IncludeUsage bool
					Extra        map[string]json.RawMessage
				}{preq, req.Stream, req.IncludeUsage(), req.Extra}, "", "  ")
				out = append(out, '\n')
			}
			if strings.HasPrefix(name, "err_") != (err != nil) {
				t.Fatalf("err_ prefix and outcome disagree: err=%v", err)
			}
			golden(t, strings.TrimSuffix(path, ".json")+".golden", out)
		})
	}
}

func TestResponseGolden(t *testing.T) {
	for _, path := range files(t, "responses") {
		t.Run(filepath.Base(path), func(t *testing.T) {
			var resp provider.Response
			mustReadJSON(t, path, &resp)
			cost := 0.000123
			out, err := json.MarshalIndent(FromResponse("chatcmpl-test", "gemini-2.5-flash", 1700000000, &resp, &cost), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, strings.TrimSuffix(path, ".json")+".golden", append(out, '\n'))
		})
	}
}

func TestStreamGolden(t *testing.T) {
	for _, path := range files(t, "streams") {
		t.Run(filepath.Base(path), func(t *testing.T) {
			var in struct {
				IncludeUsage bool             `json:"include_usage"`
				Chunks       []provider.Chunk `json:"chunks"`
			}
			mustReadJSON(t, path, &in)
			enc := &ChunkEncoder{ID: "chatcmpl-test", Model: "m", Created: 1700000000}
			var buf []byte
			var usage provider.Usage
			var err error
			for _, c := range in.Chunks {
				if buf, err = AppendSSE(buf, enc.Chunk(c)); err != nil {
					t.Fatal(err)
				}
				if c.Usage != nil {
					usage = *c.Usage
				}
			}
			if in.IncludeUsage {
				cost := 0.5
				buf, _ = AppendSSE(buf, enc.UsageChunk(usage, &cost))
			}
			buf = append(buf, DoneEvent...)
			golden(t, strings.TrimSuffix(path, ".json")+".golden", buf)
		})
	}
}

func mustReadJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestRequestRoundTrip checks that nothing the client sent is lost:
// re-marshalling a parsed request keeps unknown fields verbatim.
func TestRequestRoundTrip(t *testing.T) {
	in := `{"model":"m","messages":[{"role":"user","content":"x"}],"seed":7,"metadata":{"a":"b"},"parallel_tool_calls":false}`
	req, err := ParseChatRequest([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]json.RawMessage
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"seed": "7", "metadata": `{"a":"b"}`, "parallel_tool_calls": "false", "model": `"m"`} {
		if string(got[k]) != want {
			t.Errorf("%s = %s, want %s", k, got[k], want)
		}
	}
}

func TestRoutingText(t *testing.T) {
	req, err := ParseChatRequest([]byte(`{"model":"m","messages":[{"role":"system","content":"S"},{"role":"user","content":"first"},{"role":"assistant","content":"A"},{"role":"user","content":[{"type":"text","text":"last"}]},{"role":"assistant","content":"B"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := LastUserText(req); got != "last" {
		t.Errorf("LastUserText = %q", got)
	}
	if got, want := ConversationText(req), "system: S\nuser: first\nassistant: A\nuser: last\nassistant: B"; got != want {
		t.Errorf("ConversationText = %q, want %q", got, want)
	}
}

func TestNewError(t *testing.T) {
	_, err := ParseChatRequest([]byte(`{"model":"m","messages":[{"role":"user","content":1}]}`))
	body := NewError(err)
	if body.Error.Type != "invalid_request_error" || body.Error.Param == nil || *body.Error.Param != "messages[0].content" {
		t.Fatalf("unexpected error body %+v", body.Error)
	}
	leak := NewError(fmt.Errorf("dial https://x?key=SECRET: refused"))
	if strings.Contains(leak.Error.Message, "SECRET") || leak.Error.Type != "api_error" {
		t.Fatalf("non-apierr detail leaked to client: %+v", leak.Error)
	}
}

// TestNewErrorNamesRefusedParam: an upstream's refusal of a parameter
// becomes a 400 whose param names it, as a parse error's does.
func TestNewErrorNamesRefusedParam(t *testing.T) {
	err := fmt.Errorf("attempt: %w", provider.UnsupportedParam("logit_bias", "gemini has no equivalent"))
	body := NewError(err)
	if apierr.HTTPStatus(apierr.CodeOf(err)) != 400 || body.Error.Param == nil || *body.Error.Param != "logit_bias" ||
		body.Error.Type != "invalid_request_error" || body.Error.Message != "logit_bias: gemini has no equivalent" {
		t.Fatalf("error body %+v", body.Error)
	}
}
