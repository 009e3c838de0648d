package openaiapi

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter/internal/provider"
)

// TestLogprobsEncoding: a choice's and a chunk's logprobs are OpenAI's
// shape: bytes from the token's UTF-8 when the upstream gave none,
// top_logprobs an empty list (not null) without alternatives, refusal
// null; no logprobs is null in a choice and absent in a chunk.
func TestLogprobsEncoding(t *testing.T) {
	lp := []provider.TokenLogprob{
		{Token: "é", Logprob: -0.5},
		{Token: "x", Logprob: -1, Bytes: []int{120}, Top: []provider.TokenLogprob{{Token: "x", Logprob: -1}, {Token: "y", Logprob: -2}}},
	}
	const want = `{"content":[{"token":"é","logprob":-0.5,"bytes":[195,169],"top_logprobs":[]},` +
		`{"token":"x","logprob":-1,"bytes":[120],"top_logprobs":[{"token":"x","logprob":-1,"bytes":[120]},{"token":"y","logprob":-2,"bytes":[121]}]}],"refusal":null}`
	c := FromResponse("id", "m", 1, &provider.Response{Text: "éx", Logprobs: lp,
		Alternatives: []provider.Alternative{{Text: "z"}}}, nil)
	if got := mustJSON(t, c.Choices[0].Logprobs); got != want {
		t.Errorf("choice logprobs\n got %s\nwant %s", got, want)
	}
	if got := mustJSON(t, c.Choices[1]); !strings.Contains(got, `"logprobs":null`) {
		t.Errorf("choice without logprobs: %s", got)
	}
	enc := &ChunkEncoder{ID: "id", Model: "m"}
	if got := mustJSON(t, enc.Chunk(provider.Chunk{Text: "éx", Logprobs: lp}).Choices[0].Logprobs); got != want {
		t.Errorf("chunk logprobs\n got %s\nwant %s", got, want)
	}
	if got := mustJSON(t, enc.Chunk(provider.Chunk{Text: "z"})); strings.Contains(got, "logprobs") {
		t.Errorf("chunk without logprobs: %s", got)
	}
}

// TestLogprobsRoundTrip: what an OpenAI-compatible upstream sends comes
// back out unchanged.
func TestLogprobsRoundTrip(t *testing.T) {
	const in = `{"choices":[{"index":0,"message":{"role":"assistant","content":"x"},"finish_reason":"stop",` +
		`"logprobs":{"content":[{"token":"x","logprob":-1,"bytes":[120],"top_logprobs":[{"token":"x","logprob":-1,"bytes":[120]}]}],"refusal":null}}]}`
	var w ChatResponse
	if err := DecodeResponse([]byte(in), &w); err != nil {
		t.Fatal(err)
	}
	got := mustJSON(t, ToLogprobs(FromLogprobs(w.Choices[0].Logprobs)))
	if want := `{"content":[{"token":"x","logprob":-1,"bytes":[120],"top_logprobs":[{"token":"x","logprob":-1,"bytes":[120]}]}],"refusal":null}`; got != want {
		t.Errorf("round trip\n got %s\nwant %s", got, want)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestRefusalEncoding: an upstream's refusal reaches the client as
// OpenAI sends it, content null beside it, in answers and in chunks.
func TestRefusalEncoding(t *testing.T) {
	c := FromResponse("id", "m", 1, &provider.Response{Refusal: "I can't.", FinishReason: "stop"}, nil)
	if got := mustJSON(t, c.Choices[0].Message); got != `{"role":"assistant","content":null,"refusal":"I can't."}` {
		t.Errorf("message %s", got)
	}
	enc := &ChunkEncoder{ID: "id", Model: "m"}
	if got := mustJSON(t, enc.Chunk(provider.Chunk{Refusal: "I can't."}).Choices[0].Delta); got != `{"role":"assistant","refusal":"I can't."}` {
		t.Errorf("delta %s", got)
	}
	var w ChatResponse
	if err := DecodeResponse([]byte(`{"choices":[{"delta":{"refusal":"no"},"finish_reason":null}]}`), &w); err != nil || w.Choices[0].Delta.Refusal != "no" {
		t.Errorf("decoded delta refusal %+v, %v", w.Choices[0].Delta, err)
	}
}
