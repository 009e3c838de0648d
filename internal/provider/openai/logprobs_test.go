package openai

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/llmrouter/llmrouter/internal/provider"
	pt "github.com/llmrouter/llmrouter/internal/provider/providertest"
)

// TestLogprobsRequestAndStream: logprobs and top_logprobs go upstream as
// sent, and each streamed text chunk carries its tokens' log
// probabilities as the upstream reported them.
func TestLogprobsRequestAndStream(t *testing.T) {
	u := pt.NewUpstream(t, sseReply(pt.MustRead(t, "testdata/streams/logprobs.sse")))
	req := ask("gpt-4o-mini")
	req.Logprobs, req.TopLogprobs = true, 2
	s, err := newClient(u, nil).Stream(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var got []provider.TokenLogprob
	for _, c := range pt.Chunks(t, s) {
		got = append(got, c.Logprobs...)
	}
	want := []provider.TokenLogprob{
		{Token: "Paris", Logprob: -0.0009, Bytes: []int{80, 97, 114, 105, 115}, Top: []provider.TokenLogprob{
			{Token: "Paris", Logprob: -0.0009, Bytes: []int{80, 97, 114, 105, 115}}, {Token: "The", Logprob: -7.1, Bytes: []int{84, 104, 101}}}},
		{Token: ".", Logprob: -0.02, Bytes: []int{46}, Top: []provider.TokenLogprob{
			{Token: ".", Logprob: -0.02, Bytes: []int{46}}, {Token: "!", Logprob: -4.3, Bytes: []int{33}}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("streamed logprobs %+v\nwant %+v", got, want)
	}
	var body struct {
		Logprobs    *bool `json:"logprobs"`
		TopLogprobs *int  `json:"top_logprobs"`
	}
	if err := json.Unmarshal(u.Request(0).Body, &body); err != nil {
		t.Fatal(err)
	}
	if body.Logprobs == nil || !*body.Logprobs || body.TopLogprobs == nil || *body.TopLogprobs != 2 {
		t.Errorf("upstream body %s, want logprobs true and top_logprobs 2", u.Request(0).Body)
	}
}
