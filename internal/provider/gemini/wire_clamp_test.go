package gemini

import "testing"

func TestUsageOfClampsNegativeCounts(t *testing.T) {
	u := UsageOf(&UsageMetadata{PromptTokenCount: -10, CandidatesTokenCount: 4, ThoughtsTokenCount: -2})
	if u.InputTokens != 0 || u.OutputTokens != 4 || u.ThinkingTokens != 0 {
		t.Fatalf("UsageOf = %+v, want negatives clamped to 0", u)
	}
}
