package rulerouter

import (
	"context"
	"testing"

	"github.com/llmrouter/llmrouter/internal/policy"
)

func TestRoute(t *testing.T) {
	r, err := New(policy.Config{})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		query  string
		policy string
		score  float64
	}{
		{"code goes strong", "Write Python code for a parser", policy.Complex, 1},
		{"math goes strong", "Solve 3x + 5 = 20", policy.Complex, 1},
		{"trivia stays cheap", "Who wrote Hamlet?", policy.Standard, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, err := r.Route(context.Background(), tc.query)
			if err != nil {
				t.Fatal(err)
			}
			if d.Policy != tc.policy || d.Score != tc.score || d.Probs[tc.policy] != 1 || len(d.Probs) != 3 {
				t.Fatalf("Route(%q) = %+v, want policy %s score %v", tc.query, d, tc.policy, tc.score)
			}
		})
	}
	if r.Name() != "rules" {
		t.Fatalf("Name = %q", r.Name())
	}
	if got := r.Explain(context.Background(), "Write Python code").Reason; got != "keyword override: code" {
		t.Fatalf("Explain reason = %q", got)
	}
}

func TestRouteCancelled(t *testing.T) {
	r, err := New(policy.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.Route(ctx, "x"); err == nil {
		t.Fatal("Route on a cancelled context succeeded")
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	if _, err := New(policy.Config{Mode: "nope"}); err == nil {
		t.Fatal("New accepted an unknown mode")
	}
}
