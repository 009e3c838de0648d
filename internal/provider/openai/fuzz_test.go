package openai

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/llmrouter/llmrouter/internal/openaiapi"
)

// FuzzDecode feeds arbitrary bodies through the response and error decoders.
func FuzzDecode(f *testing.F) {
	for _, pat := range []string{"testdata/responses/*.json", "testdata/errors/*.json"} {
		files, _ := filepath.Glob(pat)
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte(`{"error":"plain"}`))
	f.Add([]byte(`{"choices":[{"message":{"content":null,"tool_calls":[{"function":{"arguments":""}}]}}],"usage":{"completion_tokens":3,"completion_tokens_details":{"reasoning_tokens":9}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		_ = ParseError(body)
		var w openaiapi.ChatResponse
		if json.Unmarshal(body, &w) != nil {
			return
		}
		resp, err := FromWire(&w)
		if err != nil {
			return
		}
		if w.Usage != nil && resp.Usage.BilledOutput() != w.Usage.CompletionTokens {
			t.Fatalf("billed output %d != completion_tokens %d", resp.Usage.BilledOutput(), w.Usage.CompletionTokens)
		}
	})
}
