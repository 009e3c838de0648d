package grade_test

import (
	"testing"

	"github.com/llmrouter/llmrouter/internal/grade"
)

func TestValid(t *testing.T) {
	for _, g := range grade.All {
		if !grade.Valid(g) {
			t.Errorf("Valid(%q) = false", g)
		}
	}
	for _, g := range []string{"", "correct", "MAYBE", " CORRECT"} {
		if grade.Valid(g) {
			t.Errorf("Valid(%q) = true", g)
		}
	}
}

func TestSplitCell(t *testing.T) {
	tests := []struct {
		cell, cheap, strong string
		ok                  bool
	}{
		{grade.Cell(grade.Incorrect, grade.Correct), grade.Incorrect, grade.Correct, true},
		{"NOT_ATTEMPTED/NOT_ATTEMPTED", grade.NotAttempted, grade.NotAttempted, true},
		{"CORRECT", "", "", false},
		{"CORRECT/", "", "", false},
		{"CORRECT/RIGHT", "", "", false},
		{"CORRECT/CORRECT/CORRECT", "", "", false},
		{"", "", "", false},
	}
	for _, tc := range tests {
		ch, st, ok := grade.SplitCell(tc.cell)
		if ch != tc.cheap || st != tc.strong || ok != tc.ok {
			t.Errorf("SplitCell(%q) = %q, %q, %v; want %q, %q, %v", tc.cell, ch, st, ok, tc.cheap, tc.strong, tc.ok)
		}
	}
}

func TestParseRecordedOutcome(t *testing.T) {
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		{"correct", "(recorded outcome) CORRECT", grade.Correct, true},
		{"incorrect", "  (recorded outcome) INCORRECT\n", grade.Incorrect, true},
		{"not a marker", "CORRECT", "", false},
		{"unknown grade", "(recorded outcome) MAYBE", "", false},
		// No recorded outcome is ever NOT_ATTEMPTED: the recordings say
		// right or wrong.
		{"not attempted", "(recorded outcome) NOT_ATTEMPTED", "", false},
		{"answer text", "7*8 = 56\n#### 56", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, ok := grade.ParseRecordedOutcome(tc.in)
			if g != tc.want || ok != tc.ok {
				t.Fatalf("got %q, %v; want %q, %v", g, ok, tc.want, tc.ok)
			}
		})
	}
	for _, correct := range []bool{true, false} {
		g, ok := grade.ParseRecordedOutcome(grade.RecordedOutcome(correct))
		if want := map[bool]string{true: grade.Correct, false: grade.Incorrect}[correct]; !ok || g != want {
			t.Errorf("round trip of %v: %q, %v", correct, g, ok)
		}
	}
}
