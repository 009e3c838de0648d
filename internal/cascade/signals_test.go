package cascade

import (
	"strings"
	"testing"
)

func TestAnalyze(t *testing.T) {
	const q = "Tom has 12 apples and buys 5 more. How many apples does he have?"
	tests := []struct {
		name   string
		answer string
		check  func(s Signals) bool
	}{
		{"final marker and number", "12 + 5 = 17\n#### 17", func(s Signals) bool {
			return s.FinalMarker && s.HasFinal && !s.FinalFraction && s.FinalIsLastResult && s.QueryNumbersUsed == 1
		}},
		{"hedging", "I think it is probably about 17.", func(s Signals) bool { return s.Hedges == 2 }},
		{"refusal", "I don't know; the question does not specify.", func(s Signals) bool { return s.Refusal == 2 }},
		{"self-correction", "12 + 5 = 18. Wait, that is a mistake: 17.", func(s Signals) bool { return s.SelfCorrections == 2 && s.Arith.Wrong == 1 }},
		{"not whole for a count", "He has 17.5 apples.", func(s Signals) bool { return s.FinalFraction && s.Vector()[20] == 1 }},
		{"echoes the query", "He has 12 apples.", func(s Signals) bool { return s.FinalInQuery }},
		{"conflicting answers", "The answer is 17.\n#### 18", func(s Signals) bool { return s.ConflictingAnswers }},
		{"asks back", "Do you mean green apples?", func(s Signals) bool { return s.AsksBack && !s.HasFinal }},
		{"phrase inside a word is not one", "Unlikely: 17", func(s Signals) bool { return s.Hedges == 0 }},
		{"case folded", "I THINK 17", func(s Signals) bool { return s.Hedges == 1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if s := Analyze(q, tt.answer); !tt.check(s) {
				t.Errorf("Analyze(%q) = %+v", tt.answer, s)
			}
		})
	}
}

func TestRuleScore(t *testing.T) {
	const q = "How many apples?"
	for answer, want := range map[string]float64{
		"12 + 5 = 17\n#### 17":            0,
		"I'm not sure, maybe 17":          1,
		"I cannot determine that.":        1,
		"He buys apples at the market.":   1,
		"The answer is 17, since 12+5=17": 0,
	} {
		if got := RuleScore(q, answer); got != want {
			t.Errorf("RuleScore(%q) = %v, want %v", answer, got, want)
		}
	}
}

func TestFoldDigits(t *testing.T) {
	for in, want := range map[string]string{
		"9 * $2 = $18":  "N * $N = $N",
		"1,000.50 eggs": "N eggs",
		"no digits":     "no digits",
		"3.":            "N.",
	} {
		if got := foldDigits(in); got != want {
			t.Errorf("foldDigits(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestClipKeepsHeadAndTail(t *testing.T) {
	long := "start " + strings.Repeat("1+1+", MaxAnswerBytes) + " 2 = 3\n#### 42"
	s := Analyze("How many?", long)
	if !s.HasFinal || !s.FinalMarker {
		t.Errorf("the tail of a clipped answer was lost: %+v", s)
	}
	if c := clip(long); len(c) != MaxAnswerBytes+1 || !strings.HasPrefix(c, "start ") || !strings.HasSuffix(c, "#### 42") {
		t.Errorf("clip kept %d bytes, want head and tail of %d", len(c), MaxAnswerBytes)
	}
	if clip("short") != "short" {
		t.Error("clip changed a short answer")
	}
}
