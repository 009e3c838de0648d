package gemini

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecode feeds arbitrary bodies through the response and error decoders:
// they must never panic, and a decoded response must convert or fail cleanly.
func FuzzDecode(f *testing.F) {
	for _, pat := range []string{"testdata/responses/*.json", "testdata/errors/*.json"} {
		files, _ := filepath.Glob(pat)
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte(`{"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":[1,2]}}]}}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		_ = ParseError(body)
		var w GenerateContentResponse
		if json.Unmarshal(body, &w) != nil {
			return
		}
		resp, err := FromWire(&w)
		if err != nil {
			return
		}
		if resp.Usage.InputTokens < 0 && w.UsageMetadata != nil && w.UsageMetadata.PromptTokenCount >= 0 {
			t.Fatalf("negative usage from %s", body)
		}
		for _, tc := range resp.ToolCalls {
			if tc.ID == "" {
				t.Fatalf("tool call without id from %s", body)
			}
		}
	})
}
