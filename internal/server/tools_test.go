package server

import (
	"context"
	"sync"
	"testing"

	"github.com/openai/openai-go/v3"

	"github.com/llmrouter/llmrouter/internal/provider"
	"github.com/llmrouter/llmrouter/internal/provider/providertest"
)

// TestToolCallsRoundTrip sends tools with the official client and checks
// they reach the provider, and that the provider's tool calls come back
// as OpenAI tool calls, in one piece and streamed.
func TestToolCallsRoundTrip(t *testing.T) {
	var mu sync.Mutex
	var seen []*provider.Request
	call := provider.ToolCall{ID: "call_1", Name: "get_weather", Arguments: `{"city":"Paris"}`}
	usage := provider.Usage{InputTokens: 30, OutputTokens: 12}
	fake := &providertest.Fake{
		CompleteFunc: func(_ context.Context, req *provider.Request) (*provider.Response, error) {
			mu.Lock()
			seen = append(seen, req)
			mu.Unlock()
			return &provider.Response{ToolCalls: []provider.ToolCall{call}, FinishReason: "tool_calls", Usage: usage}, nil
		},
		StreamFunc: func(_ context.Context, req *provider.Request) (provider.Stream, error) {
			mu.Lock()
			seen = append(seen, req)
			mu.Unlock()
			return providertest.NewSliceStream(provider.Chunk{ToolCalls: []provider.ToolCall{call}},
				provider.Chunk{FinishReason: "tool_calls", Usage: &usage}), nil
		},
	}
	g := startGW(t, baseYAML, withProviders(map[string]provider.Provider{"cheap": fake}))
	params := openai.ChatCompletionNewParams{
		Model:    "cheap",
		Messages: userMsg("weather in Paris?"),
		Tools: []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(openai.FunctionDefinitionParam{
			Name: "get_weather", Description: openai.String("Weather by city"),
			Parameters: openai.FunctionParameters{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}},
		})},
		ToolChoice: openai.ChatCompletionToolChoiceOptionUnionParam{OfAuto: openai.String("required")},
	}
	c := g.client()
	out, err := c.Chat.Completions.New(context.Background(), params)
	if err != nil {
		t.Fatal(err)
	}
	tc := out.Choices[0].Message.ToolCalls
	if len(tc) != 1 || tc[0].ID != "call_1" || tc[0].Function.Name != "get_weather" || tc[0].Function.Arguments != `{"city":"Paris"}` || out.Choices[0].FinishReason != "tool_calls" {
		t.Errorf("tool calls %+v finish %q", tc, out.Choices[0].FinishReason)
	}
	st := c.Chat.Completions.NewStreaming(context.Background(), params)
	acc := openai.ChatCompletionAccumulator{}
	for st.Next() {
		acc.AddChunk(st.Current())
	}
	if err := st.Err(); err != nil {
		t.Fatal(err)
	}
	_ = st.Close()
	if tc := acc.Choices[0].Message.ToolCalls; len(tc) != 1 || tc[0].ID != "call_1" || tc[0].Function.Arguments != `{"city":"Paris"}` {
		t.Errorf("streamed tool calls %+v", tc)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, req := range seen {
		if len(req.Tools) != 1 || req.Tools[0].Name != "get_weather" || req.ToolChoice != "required" || string(req.Tools[0].Parameters) == "" {
			t.Errorf("provider got tools %+v choice %q", req.Tools, req.ToolChoice)
		}
	}
	g.waitRecords(2)
}
