package openaiapi

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/llmrouter/llmrouter/internal/provider"
)

// TestSignatureRoundTrip is the client's view of a Gemini tool loop through
// the gateway: the answer's signatures reach the client in Gemini's
// OpenAI-compatible shape, the client appends the assistant message to its
// history unchanged, and the next request hands the same signatures back
// to the provider on the same calls and text.
func TestSignatureRoundTrip(t *testing.T) {
	answer := &provider.Response{
		Text: "Checking both.",
		ToolCalls: []provider.ToolCall{
			{ID: "call_1", Name: "get_weather", Arguments: `{"city":"Paris"}`, Signature: "Cq0BAdHt+first/=="},
			{ID: "call_2", Name: "get_time", Arguments: `{"tz":"Asia/Tokyo"}`},
		},
		FinishReason: "tool_calls",
		Signature:    "EjQKMgtext",
	}
	body, err := json.Marshal(FromResponse("chatcmpl-1", "gemini-3-flash", 1, answer, nil))
	if err != nil {
		t.Fatal(err)
	}
	var completion struct {
		Choices []struct {
			Message json.RawMessage `json:"message"`
		} `json:"choices"`
	}
	if err := json.Unmarshal(body, &completion); err != nil {
		t.Fatal(err)
	}
	msg := completion.Choices[0].Message
	for _, want := range []string{
		`"extra_content":{"google":{"thought_signature":"Cq0BAdHt+first/=="}}`,
		`"extra_content":{"google":{"thought_signature":"EjQKMgtext"}}`,
	} {
		if !bytes.Contains(msg, []byte(want)) {
			t.Errorf("response message lacks %s:\n%s", want, msg)
		}
	}
	if n := bytes.Count(msg, []byte("thought_signature")); n != 2 {
		t.Errorf("%d signatures in the message, want 2 (call_2 has none):\n%s", n, msg)
	}

	next := []byte(`{"model":"router","messages":[{"role":"user","content":"Paris weather, Tokyo time?"},` + string(msg) + `,` +
		`{"role":"tool","tool_call_id":"call_1","content":"18C"},{"role":"tool","tool_call_id":"call_2","content":"21:00"}]}`)
	req, err := ParseChatRequest(next)
	if err != nil {
		t.Fatalf("the gateway's own answer, sent back, is refused: %v", err)
	}
	preq, err := ToProvider(req, "gemini-3-flash")
	if err != nil {
		t.Fatal(err)
	}
	got := preq.Messages[1]
	if got.Signature != answer.Signature || !reflect.DeepEqual(got.ToolCalls, answer.ToolCalls) {
		t.Fatalf("assistant turn handed to the provider = %+v\nwant text signature %q and calls %+v", got, answer.Signature, answer.ToolCalls)
	}
}

// TestStreamSignatures: a streamed answer carries the call signatures on
// their tool_call deltas and the text signature on the final delta.
func TestStreamSignatures(t *testing.T) {
	enc := &ChunkEncoder{ID: "x", Model: "m"}
	final := enc.Chunk(provider.Chunk{
		ToolCalls:    []provider.ToolCall{{ID: "c1", Name: "f", Arguments: "{}", Signature: "sigC"}},
		FinishReason: "tool_calls", Signature: "sigT",
	})
	buf, err := AppendSSE(nil, final)
	if err != nil {
		t.Fatal(err)
	}
	var ev ChatCompletionChunk
	if err := json.Unmarshal(bytes.TrimSuffix(bytes.TrimPrefix(buf, []byte("data: ")), []byte("\n\n")), &ev); err != nil {
		t.Fatal(err)
	}
	d := ev.Choices[0].Delta
	if d.ExtraContent.Signature() != "sigT" || len(d.ToolCalls) != 1 || d.ToolCalls[0].ExtraContent.Signature() != "sigC" {
		t.Fatalf("final delta %s", buf)
	}
	plain, _ := AppendSSE(nil, enc.Chunk(provider.Chunk{Text: "no signature"}))
	if bytes.Contains(plain, []byte("extra_content")) {
		t.Errorf("unsigned chunk carries extra_content: %s", plain)
	}
}

// TestSignatureFreeShape: answers without signatures keep OpenAI's exact
// shape, so clients of other upstreams see no new field.
func TestSignatureFreeShape(t *testing.T) {
	resp := &provider.Response{Text: "hi", ToolCalls: []provider.ToolCall{{ID: "a", Name: "f", Arguments: "{}"}}}
	body, err := json.Marshal(FromResponse("id", "m", 0, resp, nil))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(body, []byte("extra_content")) {
		t.Fatalf("unsigned answer carries extra_content: %s", body)
	}
}
