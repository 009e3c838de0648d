package server

import (
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter/internal/provider"
)

const mediaYAML = `
models:
  text:
    provider: openai
    upstream_model: llama-3-8b
    base_url: http://unused.invalid/v1
    price: {input: 0.1, output: 0.2}
  vision:
    provider: gemini
    upstream_model: gemini-2.5-flash
    price: {input: 1.0, output: 2.0}
    modalities: [text, image]
  inherits:
    provider: gemini
    upstream_model: gemini-2.5-pro
    price: {input: 5.0, output: 9.0}
policy_mapping:
  cheap_model: text
  strong_model: text
`

const imageBody = `{"model":%q,"messages":[{"role":"user","content":[{"type":"text","text":"what is this"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]}]}`

func TestMediaRouting(t *testing.T) {
	g := startGW(t, mediaYAML, withProviders(map[string]provider.Provider{
		"text": answering("text", 1, 1), "vision": answering("vision", 1, 1), "inherits": answering("inherits", 1, 1)}))
	audio := `{"model":%q,"messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"AAAA","format":"wav"}}]}]}`
	for _, tc := range []struct {
		name, body, model string
		status            int
		want              string
	}{
		{"routed image goes to the cheapest capable model", imageBody, "router", 200, "vision"},
		{"text-only model named with an image", imageBody, "text", 400, "[image]"},
		{"routed audio goes to a model inheriting built-in modalities", audio, "router", 200, "inherits"},
		{"audio to an image-only model", audio, "vision", 400, "[audio]"},
		{"text still routes by policy", `{"model":%q,"messages":[{"role":"user","content":"hi"}]}`, "router", 200, "text"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, hdr, body := g.post("/v1/chat/completions", strings.Replace(tc.body, "%q", `"`+tc.model+`"`, 1))
			if status != tc.status {
				t.Fatalf("status %d, want %d: %s", status, tc.status, body)
			}
			if status == 200 && hdr.Get("X-Router-Model") != tc.want {
				t.Errorf("answered by %q, want %q", hdr.Get("X-Router-Model"), tc.want)
			}
			if status == 400 && (!strings.Contains(body, tc.want) || !strings.Contains(body, `"param":"messages"`)) {
				t.Errorf("body %s does not name %s", body, tc.want)
			}
		})
	}
}
