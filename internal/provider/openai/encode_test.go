package openai

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter/internal/provider"
)

func TestMaxTokensField(t *testing.T) {
	tests := []struct {
		model     string
		maxTokens int
		want      string // the field sent, "" for none
	}{
		{"gpt-4o-mini", 256, "max_tokens"},
		{"gpt-4.1", 256, "max_tokens"},
		{"o1", 256, "max_completion_tokens"},
		{"o1-mini", 256, "max_completion_tokens"},
		{"o3-mini", 256, "max_completion_tokens"},
		{"o3", 256, "max_completion_tokens"},
		{"o4-mini", 256, "max_completion_tokens"},
		{"gpt-5", 256, "max_completion_tokens"},
		{"gpt-5-mini-2025-08-07", 256, "max_completion_tokens"},
		{"gpt-5-nano", 0, ""},
		{"llama3.2", 256, "max_tokens"},
		{"Qwen/Qwen2.5-7B-Instruct", 256, "max_tokens"},
		{"ollama/o1-lookalike", 256, "max_tokens"},
		{"gpt-4o", 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.model, func(t *testing.T) {
			w, err := ToWire(&provider.Request{Model: tc.model, MaxTokens: tc.maxTokens,
				Messages: []provider.Message{{Role: "user", Content: "hi"}}}, false)
			if err != nil {
				t.Fatal(err)
			}
			body, err := w.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			var fields map[string]json.RawMessage
			if err := json.Unmarshal(body, &fields); err != nil {
				t.Fatal(err)
			}
			for _, f := range []string{"max_tokens", "max_completion_tokens"} {
				v, ok := fields[f]
				if want := f == tc.want; ok != want || (ok && string(v) != "256") {
					t.Errorf("%s: %s present=%v value %s; want only %q", body, f, ok, v, tc.want)
				}
			}
			if strings.Count(string(body), "max_") > 1 {
				t.Errorf("both fields sent: %s", body)
			}
		})
	}
}
