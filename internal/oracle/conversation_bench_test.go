package oracle

import (
	"fmt"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter/internal/dataset"
	"github.com/llmrouter/llmrouter/internal/judge"
)

// BenchmarkConversationPrep is the local work per item before its calls:
// the journal key, the answer request's turns and the judge prompt, for a
// lone question and for a 40-turn conversation of 2,000-character turns
// (80,000 characters, of which the judge is shown at most
// judge.MaxContextChars). Run it by hand:
//
//	go test -run '^$' -bench ConversationPrep ./internal/oracle
func BenchmarkConversationPrep(b *testing.B) {
	long := dataset.Item{ID: "c", Problem: "and in Python?"}
	for i := range 40 {
		role := []string{"user", "assistant"}[i%2]
		long.Messages = append(long.Messages, dataset.Message{Role: role, Content: fmt.Sprintf("turn %d ", i) + strings.Repeat("x", 1990)})
	}
	long.Messages = append(long.Messages, dataset.Message{Role: "user", Content: long.Problem})
	for _, tc := range []struct {
		name string
		it   dataset.Item
	}{{"lone-question", dataset.Item{ID: "q", Problem: "What is 2+2?"}}, {"40-turns", long}} {
		b.Run(tc.name, func(b *testing.B) {
			var promptLen int
			for b.Loop() {
				_ = keyOf(tc.it, KindAnswer, SideCheap)
				_ = answerMessages(tc.it)
				h, q := judgeView(tc.it)
				promptLen = len(judge.PairPrompt(h, q, "answer one", "answer two"))
			}
			b.ReportMetric(float64(promptLen), "judge-prompt-bytes")
		})
	}
}
