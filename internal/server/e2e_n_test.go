package server

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
)

// TestE2EMultipleChoices asks both protocols for n=2: the upstream gets
// n or candidateCount, the client gets both choices, and usage and
// spend cover both (the fake bills each choice's words).
func TestE2EMultipleChoices(t *testing.T) {
	r := startReal(t, "")
	c := r.client()
	var completion int64
	for _, model := range []string{"flash", "mini"} {
		out, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
			Model: model, Messages: userMsg("two answers please"), N: openai.Int(2)})
		if err != nil {
			t.Fatalf("%s: %v", model, err)
		}
		if len(out.Choices) != 2 || out.Choices[1].Index != 1 || !strings.HasSuffix(out.Choices[1].Message.Content, "two answers please") {
			t.Fatalf("%s: choices %+v, want two", model, out.Choices)
		}
		one := int64(len(strings.Fields(out.Choices[0].Message.Content)))
		if out.Usage.CompletionTokens != 2*one {
			t.Errorf("%s: completion_tokens %d, want both choices' %d", model, out.Usage.CompletionTokens, 2*one)
		}
		completion += out.Usage.CompletionTokens
	}
	st := c.Chat.Completions.NewStreaming(context.Background(), openai.ChatCompletionNewParams{
		Model: "mini", Messages: userMsg("x"), N: openai.Int(2)})
	for st.Next() {
	}
	var apiErr *openai.Error
	if !errors.As(st.Err(), &apiErr) || apiErr.StatusCode != 400 || apiErr.Param != "n" {
		t.Errorf("streamed n=2: %v, want a 400 on n", st.Err())
	}
	r.ts.Close() // drain, so every record is written
	if sum := r.summary(); sum.OutputTokens != completion {
		t.Errorf("recorded output tokens %d, want %d", sum.OutputTokens, completion)
	}
}
