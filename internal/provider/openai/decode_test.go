package openai

import (
	"context"
	"strings"
	"testing"

	pt "github.com/llmrouter/llmrouter/internal/provider/providertest"
)

// TestCompleteKeepsNoBodyReference: Complete reuses body buffers, so a
// response must own all its strings. The second reply overwrites the
// pooled buffer the first was read into.
func TestCompleteKeepsNoBodyReference(t *testing.T) {
	first := pt.MustRead(t, "testdata/responses/text.json")
	folded := []byte(strings.Replace(string(first), `"model"`, `"MODEL"`, 1)) // takes the encoding/json route
	second := pt.MustRead(t, "testdata/responses/tool_calls.json")            // longer: overwrites all of first
	if len(second) < len(first) {
		t.Fatal("fixture sizes changed")
	}
	for _, body := range [][]byte{first, folded} {
		u := pt.NewUpstream(t, jsonReply(200, body), jsonReply(200, second))
		c := newClient(u, nil)
		r1, err := c.Complete(context.Background(), ask("gpt-4o-mini"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Complete(context.Background(), ask("gpt-4o-mini")); err != nil {
			t.Fatal(err)
		}
		if r1.Text != "The capital of Australia is Canberra." || r1.Model != "gpt-4o-mini-2024-07-18" || r1.FinishReason != "stop" {
			t.Fatalf("first response changed after the second call: %+v", r1)
		}
	}
}
