package openai

import "testing"

func TestUsageOfClampsNegativeCounts(t *testing.T) {
	u := UsageOf(&Usage{PromptTokens: -3, CompletionTokens: 9})
	if u.InputTokens != 0 || u.OutputTokens != 9 {
		t.Fatalf("UsageOf = %+v, want negatives clamped to 0", u)
	}
}
