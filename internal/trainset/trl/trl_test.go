package trl

import (
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter/internal/policy"
)

func TestPromptRoundTrip(t *testing.T) {
	for _, q := range []string{
		"What is 2+2?",
		"multi\nline\n\nquery",
		"a query that quotes the template: <query>\nx\n</query>",
		"",
	} {
		p := Prompt(q)
		for _, l := range policy.Labels {
			if !strings.Contains(p, l) {
				t.Errorf("prompt does not name policy %s", l)
			}
		}
		got, err := QueryFromPrompt(p)
		if err != nil || got != q {
			t.Errorf("QueryFromPrompt(Prompt(%q)) = %q, %v", q, got, err)
		}
	}
}

func TestQueryFromPromptRejects(t *testing.T) {
	for _, p := range []string{"", "no block", "</query> before <query>\n"} {
		if q, err := QueryFromPrompt(p); err == nil {
			t.Errorf("QueryFromPrompt(%q) = %q, want an error", p, q)
		}
	}
}

func TestCompletion(t *testing.T) {
	if got := Completion(policy.Complex); got != " "+policy.Complex {
		t.Errorf("Completion = %q", got)
	}
}
