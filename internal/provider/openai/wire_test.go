package openai

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter/internal/apierr"
	"github.com/llmrouter/llmrouter/internal/openaiapi"
	"github.com/llmrouter/llmrouter/internal/provider"
	"github.com/llmrouter/llmrouter/internal/provider/upstream"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, path string, got any) {
	t.Helper()
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	if *update {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if !bytes.Equal(b, want) {
		t.Errorf("%s differs from golden:\n got: %s\nwant: %s", path, b, want)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestToWireGolden: testdata/requests/NAME.in.json -> NAME.out.json; a
// NAME ending in ".stream" is converted for streaming.
func TestToWireGolden(t *testing.T) {
	ins, _ := filepath.Glob("testdata/requests/*.in.json")
	if len(ins) == 0 {
		t.Fatal("no golden inputs")
	}
	for _, in := range ins {
		name := strings.TrimSuffix(filepath.Base(in), ".in.json")
		t.Run(name, func(t *testing.T) {
			var req provider.Request
			if err := json.Unmarshal(mustRead(t, in), &req); err != nil {
				t.Fatal(err)
			}
			w, err := ToWire(&req, strings.HasSuffix(name, ".stream"))
			if err != nil {
				t.Fatal(err)
			}
			golden(t, strings.TrimSuffix(in, ".in.json")+".out.json", w)
		})
	}
}

func TestFromWireGolden(t *testing.T) {
	ins, _ := filepath.Glob("testdata/responses/*.json")
	n := 0
	for _, in := range ins {
		if strings.HasSuffix(in, ".golden.json") {
			continue
		}
		n++
		t.Run(filepath.Base(in), func(t *testing.T) {
			var w openaiapi.ChatResponse
			if err := json.Unmarshal(mustRead(t, in), &w); err != nil {
				t.Fatal(err)
			}
			resp, err := FromWire(&w)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, strings.TrimSuffix(in, ".json")+".golden.json", resp)
		})
	}
	if n == 0 {
		t.Fatal("no recorded responses")
	}
}

func TestToWireInvalid(t *testing.T) {
	tests := []struct {
		name string
		req  provider.Request
		want string
	}{
		{"no messages", provider.Request{Model: "m"}, "no messages"},
		{"bad role", provider.Request{Messages: []provider.Message{{Role: "robot"}}}, `unknown role "robot"`},
		{"bad args", provider.Request{Messages: []provider.Message{{Role: "assistant",
			ToolCalls: []provider.ToolCall{{ID: "a", Name: "f", Arguments: "{oops"}}}}}, "not valid JSON"},
		{"bad schema", provider.Request{Messages: []provider.Message{{Role: "user", Content: "x"}},
			Tools: []provider.Tool{{Name: "f", Parameters: json.RawMessage(`{x`)}}}, "not valid JSON"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ToWire(&tc.req, false)
			if apierr.CodeOf(err) != apierr.Invalid || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want Invalid containing %q", err, tc.want)
			}
		})
	}
}

func TestParseError(t *testing.T) {
	tests := []struct {
		file string
		want upstream.ErrorDetail
	}{
		{"401_invalid_api_key.json", upstream.ErrorDetail{Status: "invalid_api_key", Message: "Incorrect API key provided: sk-proj-********************************************wxyz. You can find your API key at https://platform.openai.com/account/api-keys."}},
		{"500_server_error.json", upstream.ErrorDetail{Status: "server_error", Message: "The server had an error while processing your request. Sorry about that!"}},
		{"404_ollama.json", upstream.ErrorDetail{Message: `model "llama9" not found, try pulling it first`}},
		{"400_vllm.json", upstream.ErrorDetail{Status: "BadRequestError", Message: "This model's maximum context length is 32768 tokens. However, you requested 40000 tokens (8000 in the messages, 32000 in the completion). Please reduce the length of the messages or completion."}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			if got := ParseError(mustRead(t, "testdata/errors/"+tc.file)); got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
	if got := ParseError([]byte("<html>")); got != (upstream.ErrorDetail{}) {
		t.Fatalf("html: %+v", got)
	}
}

func TestUsageOf(t *testing.T) {
	u := UsageOf(&openaiapi.Usage{PromptTokens: 47, CompletionTokens: 404, CompletionTokensDetails: &openaiapi.CompletionTokensDetails{ReasoningTokens: 384}})
	if u.InputTokens != 47 || u.OutputTokens != 20 || u.ThinkingTokens != 384 || u.BilledOutput() != 404 {
		t.Fatalf("got %+v", u)
	}
	if !UsageOf(nil).Missing {
		t.Fatal("nil usage not Missing")
	}
}
