package openaiapi

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/llmrouter/llmrouter/internal/provider"
)

// BenchmarkParseChatRequest parses a system prompt and a ~150-word user
// question with max_tokens and temperature, the shape of most traffic.
func BenchmarkParseChatRequest(b *testing.B) {
	body, err := os.ReadFile("testdata/bench/chat_request.json")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseChatRequest(body); err != nil {
			b.Fatal(err)
		}
	}
}

func benchResponse(b *testing.B) *provider.Response {
	b.Helper()
	data, err := os.ReadFile("testdata/bench/response.json")
	if err != nil {
		b.Fatal(err)
	}
	var resp provider.Response
	if err := json.Unmarshal(data, &resp); err != nil {
		b.Fatal(err)
	}
	return &resp
}

// BenchmarkMarshalResponse is what the server's respond does today:
// json.Marshal(FromResponse(...)) of a multi-line answer with usage and cost.
func BenchmarkMarshalResponse(b *testing.B) {
	resp := benchResponse(b)
	cost := 0.000123
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(FromResponse("chatcmpl-0123456789abcdef", "gpt-4o-mini", 1700000000, resp, &cost)); err != nil {
			b.Fatal(err)
		}
	}
}
