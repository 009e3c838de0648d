package reliability

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter/internal/openaiapi"
	"github.com/llmrouter/llmrouter/internal/provider/gemini"
)

// addFileSeeds adds every file matching pattern as a seed.
func addFileSeeds(f *testing.F, pattern string) {
	paths, _ := filepath.Glob(pattern)
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
}

// FuzzOpenAIToGemini drives the gateway's request path end to end: an
// OpenAI chat request body is parsed, converted to the neutral request and
// translated to Gemini's wire form. No stage may panic, the Gemini request
// must marshal to valid JSON, and the last user message must reach it.
func FuzzOpenAIToGemini(f *testing.F) {
	addFileSeeds(f, filepath.Join("..", "openaiapi", "testdata", "requests", "*.json"))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := openaiapi.ParseChatRequest(body)
		if err != nil {
			return
		}
		pr, err := openaiapi.ToProvider(req, "gemini-2.5-flash")
		if err != nil {
			return
		}
		w, err := gemini.ToWire(pr)
		if err != nil {
			return
		}
		out, err := json.Marshal(w)
		if err != nil || !json.Valid(out) {
			t.Fatalf("Gemini request does not marshal: %v", err)
		}
		last := openaiapi.LastUserText(req)
		if last == "" {
			return
		}
		var all strings.Builder
		for _, c := range w.Contents {
			for _, p := range c.Parts {
				all.WriteString(p.Text)
			}
		}
		if !strings.Contains(all.String(), last) {
			t.Fatalf("last user message %q lost in translation: %s", last, out)
		}
	})
}

// FuzzGeminiToOpenAI drives the response path: an arbitrary Gemini body is
// decoded, converted and rendered as an OpenAI chat completion, which must
// be valid JSON carrying the same text and consistent token totals.
func FuzzGeminiToOpenAI(f *testing.F) {
	addFileSeeds(f, filepath.Join("..", "provider", "gemini", "testdata", "responses", "*.json"))
	f.Fuzz(func(t *testing.T, body []byte) {
		var w gemini.GenerateContentResponse
		if json.Unmarshal(body, &w) != nil {
			return
		}
		resp, err := gemini.FromWire(&w)
		if err != nil {
			return
		}
		cost := 0.0
		c := openaiapi.FromResponse("chatcmpl-1", "router", 1, resp, &cost)
		out, err := json.Marshal(c)
		if err != nil || !json.Valid(out) {
			t.Fatalf("completion does not marshal: %v", err)
		}
		if len(c.Choices) != 1 {
			t.Fatalf("%d choices", len(c.Choices))
		}
		if m := c.Choices[0].Message; resp.Text != "" && (m.Content == nil || *m.Content != resp.Text) {
			t.Fatalf("text changed: %q -> %v", resp.Text, m.Content)
		}
		if u := c.Usage; u.TotalTokens != u.PromptTokens+u.CompletionTokens {
			t.Fatalf("usage total %d != %d + %d", u.TotalTokens, u.PromptTokens, u.CompletionTokens)
		}
	})
}
