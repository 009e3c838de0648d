package judge

import (
	"context"
	"math/big"
	"regexp"
	"strings"

	"github.com/llmrouter/llmrouter/internal/grade"
	"github.com/llmrouter/llmrouter/internal/solution"
)

// Choice grades a multiple-choice answer: the letter A–D the answer chose
// against the gold letter.
type Choice struct{}

// Numeric grades a worked answer by its final number against a numeric gold,
// ignoring commas, a currency sign and trailing decimal zeros.
type Numeric struct{}

// Recorded grades answers served by the replay provider, which carry the
// recorded outcome as "(recorded outcome) CORRECT|INCORRECT".
type Recorded struct{}

var (
	_ Judge = Choice{}
	_ Judge = Numeric{}
	_ Judge = Recorded{}
)

func (Choice) Local() bool   { return true }
func (Numeric) Local() bool  { return true }
func (Recorded) Local() bool { return true }

// Grade implements Judge.
func (Choice) Grade(_ context.Context, q Question, answer string) (Verdict, error) {
	gold, ok := GoldLetter(q.Gold)
	if !ok {
		return undecided("gold is not a letter A-D"), nil
	}
	got, ok := ChosenLetter(answer)
	if !ok {
		return Verdict{Grade: grade.NotAttempted, Method: MethodChoice}, nil
	}
	return Verdict{Grade: gradeOf(got == gold), Method: MethodChoice, Raw: got}, nil
}

// Grade implements Judge.
func (Numeric) Grade(_ context.Context, q Question, answer string) (Verdict, error) {
	gold, ok := goldNumber(q.Gold)
	if !ok {
		return undecided("gold is not a number"), nil
	}
	got, ok := solution.FinalNumber(answer)
	if !ok {
		return Verdict{Grade: grade.NotAttempted, Method: MethodNumeric}, nil
	}
	return Verdict{Grade: gradeOf(sameNumber(got, gold)), Method: MethodNumeric, Raw: got}, nil
}

// Grade implements Judge.
func (Recorded) Grade(_ context.Context, _ Question, answer string) (Verdict, error) {
	g, ok := grade.ParseRecordedOutcome(answer)
	if !ok {
		return undecided("answer carries no recorded outcome"), nil
	}
	return Verdict{Grade: g, Method: MethodRecorded, Raw: g}, nil
}

func undecided(why string) Verdict {
	return Verdict{Grade: grade.NotAttempted, Method: MethodNone, Raw: why}
}

func gradeOf(ok bool) string {
	if ok {
		return grade.Correct
	}
	return grade.Incorrect
}

var (
	goldLetterRE = regexp.MustCompile(`^\(?([A-Da-d])\)?\.?$`)
	// "the answer is (B)", "Answer: C", "correct option is D".
	answerLetterRE = regexp.MustCompile(`(?i:answer|option|choice)(?:\s+is)?\s*[:=]?\s*\(?([A-D])\)?(?:[^A-Za-z]|$)`)
	// A letter that opens the answer and is followed by punctuation or the
	// end ("B", "B.", "(B)", "B) 4"); "A cat..." is an article, not a choice.
	leadLetterRE = regexp.MustCompile(`^\(?([A-D])(?:[.):]|\s*$|\s*\n)`)
)

// GoldLetter normalises a gold choice such as "b", "(B)" or "B.".
func GoldLetter(gold string) (string, bool) {
	m := goldLetterRE.FindStringSubmatch(strings.TrimSpace(gold))
	if m == nil {
		return "", false
	}
	return strings.ToUpper(m[1]), true
}

// ChosenLetter extracts the letter A–D an answer commits to. An explicit
// "answer is X" wins (the last one, since models revise themselves);
// otherwise a letter opening the answer.
func ChosenLetter(answer string) (string, bool) {
	if ms := answerLetterRE.FindAllStringSubmatch(answer, -1); len(ms) > 0 {
		return ms[len(ms)-1][1], true
	}
	if m := leadLetterRE.FindStringSubmatch(strings.TrimSpace(answer)); m != nil {
		return m[1], true
	}
	return "", false
}

// goldNumber accepts a gold that is a bare number, possibly written "$1,200"
// or "18.0".
func goldNumber(gold string) (string, bool) {
	s := strings.TrimSpace(gold)
	s = strings.TrimPrefix(s, "$")
	s = strings.ReplaceAll(s, ",", "")
	if s == "" {
		return "", false
	}
	if _, ok := new(big.Rat).SetString(s); !ok || strings.ContainsAny(s, "/eE") {
		return "", false
	}
	return s, true
}

// sameNumber compares exactly as rationals, so "18", "18.0" and "18.00" agree
// and no float rounding can merge distinct answers.
func sameNumber(a, b string) bool {
	ra, ok1 := new(big.Rat).SetString(strings.ReplaceAll(a, ",", ""))
	rb, ok2 := new(big.Rat).SetString(strings.ReplaceAll(b, ",", ""))
	return ok1 && ok2 && ra.Cmp(rb) == 0
}
