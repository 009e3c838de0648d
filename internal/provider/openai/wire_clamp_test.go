package openai

import (
	"testing"

	"github.com/llmrouter/llmrouter/internal/openaiapi"
)

func TestUsageOfClampsNegativeCounts(t *testing.T) {
	u := UsageOf(&openaiapi.Usage{PromptTokens: -3, CompletionTokens: 9})
	if u.InputTokens != 0 || u.OutputTokens != 9 {
		t.Fatalf("UsageOf = %+v, want negatives clamped to 0", u)
	}
}
