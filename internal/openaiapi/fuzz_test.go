package openaiapi

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/llmrouter/llmrouter/internal/provider"
)

// FuzzParseChatRequest checks the parser and converters never panic, that
// every rejection is a FieldError, and that an accepted request survives a
// marshal/parse round trip unchanged.
func FuzzParseChatRequest(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "requests", "*.json"))
	for _, p := range paths {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := ParseChatRequest(data)
		if err != nil {
			if _, ok := err.(*FieldError); !ok {
				t.Fatalf("error is %T, want *FieldError: %v", err, err)
			}
			return
		}
		if _, err := ToProvider(req, "u"); err != nil {
			if _, ok := err.(*FieldError); !ok {
				t.Fatalf("ToProvider error is %T: %v", err, err)
			}
		}
		_ = LastUserText(req)
		_ = ConversationText(req)
		_ = PromptBytes(req)
		out, err := json.Marshal(req)
		if err != nil {
			t.Fatalf("marshal accepted request: %v", err)
		}
		again, err := ParseChatRequest(out)
		if err != nil {
			t.Fatalf("re-parse of %s failed: %v", out, err)
		}
		out2, _ := json.Marshal(again)
		if !bytes.Equal(out, out2) {
			t.Fatalf("round trip changed request:\n%s\n%s", out, out2)
		}
	})
}

// FuzzChunkEncoder feeds arbitrary provider chunks (as JSON) through the
// stream encoder: every event must be valid JSON.
func FuzzChunkEncoder(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "streams", "*.json"))
	for _, p := range paths {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var in struct {
			Chunks []provider.Chunk `json:"chunks"`
		}
		if json.Unmarshal(data, &in) != nil {
			return
		}
		enc := &ChunkEncoder{ID: "x", Model: "m"}
		for _, c := range in.Chunks {
			buf, err := AppendSSE(nil, enc.Chunk(c))
			if err != nil {
				t.Fatal(err)
			}
			payload := bytes.TrimSuffix(bytes.TrimPrefix(buf, []byte("data: ")), []byte("\n\n"))
			if !json.Valid(payload) {
				t.Fatalf("invalid event %q", buf)
			}
		}
		resp := provider.Response{}
		if len(in.Chunks) > 0 {
			resp.Text, resp.ToolCalls = in.Chunks[0].Text, in.Chunks[0].ToolCalls
		}
		if _, err := json.Marshal(FromResponse("id", "m", 0, &resp, nil)); err != nil {
			t.Fatal(err)
		}
	})
}
