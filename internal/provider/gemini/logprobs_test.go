package gemini

import (
	"context"
	"reflect"
	"testing"

	"github.com/llmrouter/llmrouter/internal/provider"
	pt "github.com/llmrouter/llmrouter/internal/provider/providertest"
)

// TestLogprobsStream: each streamed text chunk carries the chosen token
// of each decoding step with that step's top candidates.
func TestLogprobsStream(t *testing.T) {
	u := pt.NewUpstream(t, sseReply(pt.MustRead(t, "testdata/streams/logprobs.sse")))
	req := ask("gemini-2.5-flash")
	req.Logprobs, req.TopLogprobs = true, 2
	s, err := newClient(u, nil).Stream(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var got [][]provider.TokenLogprob
	for _, c := range pt.Chunks(t, s) {
		if c.Text != "" {
			got = append(got, c.Logprobs)
		}
	}
	want := [][]provider.TokenLogprob{
		{{Token: "Paris", Logprob: -0.0012, Top: []provider.TokenLogprob{{Token: "Paris", Logprob: -0.0012}, {Token: "The", Logprob: -6.75}}}},
		{{Token: ".", Logprob: -0.0616, Top: []provider.TokenLogprob{{Token: ".", Logprob: -0.0616}, {Token: "\n", Logprob: -2.82}}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("streamed logprobs %+v\nwant %+v", got, want)
	}
}

// TestLogprobsWithoutTopCandidates: with logprobs but no top_logprobs,
// Gemini sends chosen candidates only, and tokens get no alternatives.
func TestLogprobsWithoutTopCandidates(t *testing.T) {
	r := &LogprobsResult{ChosenCandidates: []LogprobsCandidate{{Token: "a", LogProbability: -1}, {Token: "b", LogProbability: -2}}}
	want := []provider.TokenLogprob{{Token: "a", Logprob: -1}, {Token: "b", Logprob: -2}}
	if got := r.tokens(); !reflect.DeepEqual(got, want) {
		t.Errorf("tokens() = %+v, want %+v", got, want)
	}
	if (*LogprobsResult)(nil).tokens() != nil {
		t.Error("nil result gave tokens")
	}
}
