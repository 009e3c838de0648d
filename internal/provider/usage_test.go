package provider

import "testing"

func TestUsageClamped(t *testing.T) {
	got := Usage{InputTokens: -5, OutputTokens: 7, ThinkingTokens: -1, Estimated: true}.Clamped()
	want := Usage{InputTokens: 0, OutputTokens: 7, ThinkingTokens: 0, Estimated: true}
	if got != want {
		t.Fatalf("Clamped() = %+v, want %+v", got, want)
	}
}
