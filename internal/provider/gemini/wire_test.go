package gemini

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter/internal/apierr"
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
			w, err := ToWire(&req)
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
		name := strings.TrimSuffix(filepath.Base(in), ".json")
		t.Run(name, func(t *testing.T) {
			var w GenerateContentResponse
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
		{"no content", provider.Request{Messages: []provider.Message{{Role: "system", Content: "x"}}}, "no user or assistant content"},
		{"bad role", provider.Request{Messages: []provider.Message{{Role: "robot", Content: "x"}}}, `unknown role "robot"`},
		{"bad args", provider.Request{Messages: []provider.Message{{Role: "user", Content: "x"},
			{Role: "assistant", ToolCalls: []provider.ToolCall{{ID: "a", Name: "f", Arguments: "[1]"}}}}}, "not a JSON object"},
		{"orphan tool result", provider.Request{Messages: []provider.Message{{Role: "user", Content: "x"},
			{Role: "tool", ToolCallID: "nope", Content: "1"}}}, "unknown tool_call_id"},
		{"unknown tool choice", provider.Request{Messages: []provider.Message{{Role: "user", Content: "x"}},
			Tools: []provider.Tool{{Name: "f"}}, ToolChoice: "g"}, "not among"},
		{"bad schema", provider.Request{Messages: []provider.Message{{Role: "user", Content: "x"}},
			Tools: []provider.Tool{{Name: "f", Parameters: json.RawMessage(`[1]`)}}}, "not a JSON object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ToWire(&tc.req)
			if apierr.CodeOf(err) != apierr.Invalid || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want Invalid containing %q", err, tc.want)
			}
		})
	}
}

func TestFinishReason(t *testing.T) {
	tests := []struct {
		in    string
		calls bool
		want  string
	}{
		{"STOP", false, "stop"}, {"STOP", true, "tool_calls"}, {"MAX_TOKENS", false, "length"},
		{"SAFETY", false, "content_filter"}, {"RECITATION", false, "content_filter"},
		{"PROHIBITED_CONTENT", false, "content_filter"}, {"OTHER", false, "stop"}, {"", false, ""},
	}
	for _, tc := range tests {
		if got := FinishReason(tc.in, tc.calls); got != tc.want {
			t.Errorf("FinishReason(%q, %v) = %q, want %q", tc.in, tc.calls, got, tc.want)
		}
	}
}

func TestParseError(t *testing.T) {
	d := ParseError(mustRead(t, "testdata/errors/401_unauthenticated.json"))
	if d.Status != "UNAUTHENTICATED" || d.Message != "API key not valid" {
		t.Fatalf("got %+v", d)
	}
	d = ParseError([]byte(`[{"error":{"code":503,"message":"overloaded","status":"UNAVAILABLE"}}]`))
	if d.Status != "UNAVAILABLE" {
		t.Fatalf("array form: got %+v", d)
	}
	if d := ParseError([]byte("<html>bad gateway</html>")); d != (upstream.ErrorDetail{}) {
		t.Fatalf("html: got %+v", d)
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

func BenchmarkFromWire(b *testing.B) {
	body, err := os.ReadFile("testdata/responses/text.json")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var w GenerateContentResponse
		if err := json.Unmarshal(body, &w); err != nil {
			b.Fatal(err)
		}
		if _, err := FromWire(&w); err != nil {
			b.Fatal(err)
		}
	}
}
