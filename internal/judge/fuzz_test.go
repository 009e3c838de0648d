package judge

import (
	"context"
	"testing"

	"github.com/llmrouter/llmrouter/internal/grade"
)

func FuzzParseLetterGrade(f *testing.F) {
	for _, s := range []string{"A", "B", "(C)", "Grade: B", "INCORRECT", "", "\x00ABC"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if g := ParseLetterGrade(s); !grade.Valid(g) {
			t.Fatalf("ParseLetterGrade(%q) = %q", s, g)
		}
	})
}

func FuzzRuleJudge(f *testing.F) {
	f.Add("B", "The answer is (B).")
	f.Add("18", "#### 1,8")
	f.Add("", "(recorded outcome) CORRECT")
	f.Add("$-0.0", "-0 = 0")
	f.Fuzz(func(t *testing.T, gold, answer string) {
		v, err := Rule(nil).Grade(context.Background(), Question{Problem: "q", Gold: gold, Benchmark: "gsm8k"}, answer)
		if err != nil || !grade.Valid(v.Grade) || v.Method == "" {
			t.Fatalf("Grade(%q, %q) = %+v, %v", gold, answer, v, err)
		}
	})
}
