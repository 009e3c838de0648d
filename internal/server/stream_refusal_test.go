package server

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"

	"github.com/llmrouter/llmrouter/internal/provider"
	oaiprov "github.com/llmrouter/llmrouter/internal/provider/openai"
)

// refusalStream is how OpenAI streams a structured-output refusal: the
// refusal arrives in delta.refusal pieces while content stays null.
var refusalStream = []string{
	`{"id":"chatcmpl-r1","object":"chat.completion.chunk","created":1764873600,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{"role":"assistant","content":null,"refusal":""},"logprobs":null,"finish_reason":null}]}`,
	`{"id":"chatcmpl-r1","object":"chat.completion.chunk","created":1764873600,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{"refusal":"I'm sorry, "},"logprobs":null,"finish_reason":null}]}`,
	`{"id":"chatcmpl-r1","object":"chat.completion.chunk","created":1764873600,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{"refusal":"I can't help with that."},"logprobs":null,"finish_reason":null}]}`,
	`{"id":"chatcmpl-r1","object":"chat.completion.chunk","created":1764873600,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]}`,
	`{"id":"chatcmpl-r1","object":"chat.completion.chunk","created":1764873600,"model":"gpt-4o-2024-08-06","choices":[],"usage":{"prompt_tokens":20,"completion_tokens":9,"total_tokens":29}}`,
}

// TestStreamedRefusalRelayed: a refusal streamed by an OpenAI-compatible
// upstream reaches the client as delta.refusal pieces, as it would from
// OpenAI directly, instead of an empty answer.
func TestStreamedRefusalRelayed(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for _, ev := range refusalStream {
			fmt.Fprintf(w, "data: %s\n\n", ev)
		}
		fmt.Fprint(w, "data: [DONE]\n\n")
	}))
	defer up.Close()
	g := startGW(t, baseYAML, withProviders(map[string]provider.Provider{
		"strong": oaiprov.New(oaiprov.Config{BaseURL: up.URL + "/v1"}),
	}))
	c := g.client()
	st := c.Chat.Completions.NewStreaming(context.Background(), openai.ChatCompletionNewParams{
		Model: "strong", Messages: userMsg("how do I pick a lock?"),
	})
	var refusal, content strings.Builder
	for st.Next() {
		for _, c := range st.Current().Choices {
			refusal.WriteString(c.Delta.Refusal)
			content.WriteString(c.Delta.Content)
		}
	}
	if err := st.Err(); err != nil {
		t.Fatal(err)
	}
	if refusal.String() != "I'm sorry, I can't help with that." || content.String() != "" {
		t.Fatalf("streamed refusal %q content %q", refusal.String(), content.String())
	}
}
